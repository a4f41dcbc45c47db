"""Fixtures of the API tests: the personas (tests/personas.py) and their API tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.support import TOKEN_HOLDERS, api_client, token_for
from tests.personas import Personas as PersonasType
from tests.web.conftest import (  # noqa: F401 (fixtures shared with the app tests)
    immediate_tasks,
    personas,
    safety_alert,
    static_files_looked_up_on_request,
)


@pytest.fixture
def clients(personas: PersonasType) -> dict[str, Client]:  # noqa: F811 (imported fixture)
    """An API client per token holder, each with their own token."""
    return {name: api_client(token_for(personas, name)) for name in TOKEN_HOLDERS}


@pytest.fixture(scope="class")
def api_world(django_db_setup, django_db_blocker):
    """The browser matrix's world with a token per member and Paul's portal session."""
    from tests.api.matrix_support import make_api_world
    from tests.factories import rows_shared_by_the_scope
    from tests.personas import make_personas

    with rows_shared_by_the_scope(django_db_blocker):
        world = make_api_world(make_personas())
        for client in world["clients"].values():
            client.raise_request_exception = False
        yield world
