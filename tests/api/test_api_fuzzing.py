"""Schemathesis against /api/v1/openapi.json with the tokens of two organisations: no
server error, and no answer to one holds the other's patient (bounded examples, so the
module stays within a few seconds)."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from tests.api.support import token_for
from tests.factories import make_patient, make_phq9

pytestmark = [pytest.mark.slow(seconds=20), pytest.mark.django_db]

EXAMPLES = 6
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def connection_kept_open():
    """Schemathesis calls the WSGI application as a server would, and a server closes the
    database connection after each request: keep it open, as Django's test client does,
    or the test's transaction goes with it (PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(personas):
    """dr_ana (Clinic A, Paul's) and dr_olga (Clinic B, Olive's), each with the secret
    only the other's answers could hold."""
    olive = make_patient(personas.other_clinic, given_name="Olive", family_name="Quenby")
    make_phq9(olive, 14, item9=1)
    make_phq9(personas.paul, 12, item9=1)
    return {
        "dr_ana": (token_for(personas, "dr_ana"), b"Quenby"),
        "dr_olga": (token_for(personas, "dr_olga"), b"Moreno"),
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_server_error_and_no_leak(operation, callers):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        for secret, foreign in callers.values():
            headers = {"Authorization": f"Bearer {secret}"}
            if case.method == "POST":
                headers["Idempotency-Key"] = uuid.uuid4().hex
            response = case.call(headers=headers)
            assert response.status_code < 500, case.as_curl_command()
            assert foreign not in response.content, case.as_curl_command()

    call()
