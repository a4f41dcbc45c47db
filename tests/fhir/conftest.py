"""Fixtures of the FHIR tests: the personas, and the world read by whole classes."""

from __future__ import annotations

import pytest

from tests.personas import Personas, make_personas


@pytest.fixture
def personas(db) -> Personas:
    """Clinic A's people and Paul, and dr_olga of Clinic B (tests/personas.py)."""
    return make_personas()


@pytest.fixture(scope="class")
def fhir_world(django_db_setup, django_db_blocker):
    """The FHIR world (tests/fhir/support.py) and every caller's client, once per class."""
    from tests.factories import rows_shared_by_the_scope
    from tests.fhir.support import callers_of, make_fhir_world

    with rows_shared_by_the_scope(django_db_blocker):
        personas = make_personas()
        world = make_fhir_world(personas)
        world["clients"] = callers_of(personas)
        for client in world["clients"].values():
            client.raise_request_exception = False
        yield world
