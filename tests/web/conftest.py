"""Fixtures shared by the app tests: the personas (tests/personas.py) and the task queue."""

from __future__ import annotations

import pytest

from lasting.accounts.models import Organization
from lasting.alerts.models import Alert
from tests.factories import make_phq9
from tests.personas import Personas, make_personas

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def static_files_looked_up_on_request(settings):
    """Let WhiteNoise find a static file when one is asked for. Otherwise it indexes every
    static file (the admin's too) each time a test client builds its middleware: about
    12 ms a client, and the app tests make some 600 clients. How static files are served
    in production is tested in a real browser (tests/e2e), where the server is built once."""
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def immediate_tasks(settings):
    """Run background jobs at once, in the request (e.g. the sign-in e-mail), so a test
    reads their effect straight away; the worker tests use the real queue."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def personas(db) -> Personas:
    """Clinic A's people and Paul, and dr_olga of Clinic B; who may do what is written in
    tests/personas.py."""
    return make_personas()


@pytest.fixture
def clinic(personas: Personas) -> Organization:
    """Clinic A of the personas, for tests that only need an organisation to work in."""
    return personas.clinic


@pytest.fixture
def safety_alert(personas: Personas) -> Alert:
    """The safety alert Paul's PHQ-9 of 12 with item 9 answered 3 opened, assigned to dr_ana."""
    checkin = make_phq9(personas.paul, 12, item9=3)
    return Alert.objects.get(response__checkin=checkin)


@pytest.fixture(scope="class")
def matrix_world(django_db_setup, django_db_blocker):
    """The access matrix's world and its signed-in callers, built once per class."""
    from tests.factories import rows_shared_by_the_scope
    from tests.personas import make_personas
    from tests.web.access_matrix_support import clients_for, make_matrix_world

    with rows_shared_by_the_scope(django_db_blocker):
        personas = make_personas()
        world = make_matrix_world(personas)
        world["clients"] = clients_for(personas)
        for client in world["clients"].values():
            client.raise_request_exception = False
        yield world
