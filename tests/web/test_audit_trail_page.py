"""The clinic admin's audit-trail page and its CSV: their organisation's events and their
members' sign-ins only, filtered on the clinic's clock, themselves audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor, record_event
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(personas):
    """A read of Paul by dr_ana, a denied read in Clinic B, dr_ana's and dr_olga's sign-ins."""
    ana, olga = personas.dr_ana.user, personas.dr_olga.user
    clinic_a, clinic_b = personas.clinic.pk, personas.other_clinic.pk
    record_event(
        Actor(ana.pk, "dr_ana", clinic_a, "10.0.0.5", "r1"),
        Action.READ,
        patient_id=personas.paul.pk,
        obj=personas.paul,
    )
    record_event(
        Actor(olga.pk, "dr_olga", clinic_b, "10.9.9.9", "r2"),
        Action.READ,
        object_ref=("Patient", 99999),
        outcome=Outcome.DENIED,
    )
    record_event(Actor(ana.pk, "dr_ana", None, "10.0.0.5", "r3"), Action.LOGIN)
    record_event(Actor(olga.pk, "dr_olga", None, "10.9.9.9", "r4"), Action.LOGIN)


def csv_rows(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.usefixtures("trail")
def test_the_admin_reads_their_organisation_and_their_members_sign_ins(personas):
    response = client_for("admin_dora").get("/accounts/organization/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "10.0.0.5" in page
    assert "dr_ana" in page
    assert "dr_olga" not in page
    assert "10.9.9.9" not in page
    assert "Moreno" not in page  # patients by id only


@pytest.mark.usefixtures("trail")
def test_the_csv_holds_the_filtered_events_and_no_names(personas):
    client = client_for("admin_dora")
    response = client.get(
        "/accounts/organization/audit.csv", {"action": "read", "patient_id": personas.paul.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [(row["username"], row["action"], row["patient_id"]) for row in rows] == [
        ("dr_ana", "read", str(personas.paul.pk))
    ]
    everything = csv_rows(client.get("/accounts/organization/audit.csv"))
    assert {row["username"] for row in everything} >= {"dr_ana", "admin_dora"}
    assert "dr_olga" not in {row["username"] for row in everything}
    assert not any("Moreno" in value for row in everything for value in row.values())


def test_dates_filter_on_the_clinic_clock(personas):
    personas.clinic.time_zone = "America/New_York"
    personas.clinic.save()
    # 03:30 UTC on 2 March 2025 is still 1 March in New York, a day far from every pinned
    # clock. The trail is append-only, so the event is written then rather than moved.
    with time_machine.travel(datetime(2025, 3, 2, 3, 30, tzinfo=UTC), tick=False):
        record_event(Actor.system("probe", personas.clinic.pk), Action.SEARCH)
    client = client_for("admin_dora")
    on_first = csv_rows(
        client.get(
            "/accounts/organization/audit.csv", {"since": "2025-03-01", "until": "2025-03-01"}
        )
    )
    on_second = csv_rows(
        client.get(
            "/accounts/organization/audit.csv", {"since": "2025-03-02", "until": "2025-03-02"}
        )
    )
    assert [row["username"] for row in on_first] == ["probe"]
    assert "probe" not in [row["username"] for row in on_second]


def test_a_backwards_range_is_refused_with_the_reason(personas):
    client = client_for("admin_dora")
    response = client.get(
        "/accounts/organization/audit/", {"since": "2026-12-02", "until": "2026-11-01"}
    )
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()
    csv_response = client.get(
        "/accounts/organization/audit.csv", {"since": "2026-12-02", "until": "2026-11-01"}
    )
    assert csv_response.status_code == 422


@pytest.mark.parametrize("username", ["dr_ana", "rn_cara", "sam_front", "dr_olga"])
def test_only_admins_read_the_trail(personas, username):
    client = client_for(username)
    assert client.get("/accounts/organization/audit/").status_code == 403
    assert client.get("/accounts/organization/audit.csv").status_code == 403


def test_reading_and_downloading_the_trail_are_audited(personas):
    client = client_for("admin_dora")
    client.get("/accounts/organization/audit/")
    b"".join(client.get("/accounts/organization/audit.csv").streaming_content)
    mine = AuditEvent.objects.filter(username="admin_dora", object_type="audit_trail")
    assert sorted(mine.values_list("action", flat=True)) == [Action.EXPORT, Action.SEARCH]
