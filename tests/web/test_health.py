"""/healthz and /readyz: answered without signing in, never cached, no patient data."""

from __future__ import annotations

import pytest
from django.test import Client

from lasting import health

pytestmark = pytest.mark.django_db


def test_liveness_and_readiness_answer_without_signing_in(personas):
    client = Client()
    live = client.get("/healthz")
    ready = client.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "queue": "ok"},
    }
    assert "no-store" in ready["Cache-Control"]
    assert personas.paul.family_name.encode() not in ready.content


def test_a_failing_check_makes_the_instance_not_ready_and_names_only_the_check(monkeypatch):
    def unreachable() -> bool:
        raise ConnectionError("redis://secret-host:6379 refused")

    monkeypatch.setitem(health.CHECKS, "queue", unreachable)
    monkeypatch.setitem(health.CHECKS, "migrations", lambda: False)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "failing",
        "queue": "failing (ConnectionError)",
    }
    assert b"secret-host" not in response.content


def test_health_endpoints_take_get_only():
    assert Client().post("/readyz").status_code == 405
