"""A safety alert is closed by contact with the patient, not by a click.

The rules: docs/clinical.md#safety-alerts.

Personas:
- dr_ana: clinician in the clinic, treats Paul.
- rn_cara: nurse (staff role) in the clinic: handles safety alerts.
- Paul: answered PHQ-9 item 9 = 3 ("nearly every day").
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Membership
from lasting.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ContactAttempt,
    ContactOutcome,
    Priority,
)
from lasting.alerts.services import (
    acknowledge_alert,
    record_contact_attempt,
    resolve_alert,
)
from lasting.audit.models import AuditEvent
from lasting.audit.services import Actor
from lasting.clinic.queries import list_caseload_for
from tests.factories import make_patient, make_phq9
from tests.personas import client_for

pytestmark = pytest.mark.django_db

NOTE = "Called Paul; he is safe tonight; safety plan reviewed; appointment tomorrow 9:00."


def actor_for(membership: Membership) -> Actor:
    return Actor(membership.user_id, membership.user.username, membership.organization_id, None, "")


@pytest.fixture
def urgent(personas):
    """The personas, with Paul's urgent safety alert and a more severe patient without one."""
    clinic, dr_ana, paul = personas.clinic, personas.dr_ana, personas.paul
    # Someone more severe but safe: "top of the caseload" must mean the alert outranks it.
    severe = make_patient(clinic, family_name="Severe", assigned_clinician=dr_ana.user)
    make_phq9(severe, 24)
    make_phq9(paul, 15, item9=3)
    alert = Alert.objects.get(patient=paul)
    assert alert.priority == Priority.URGENT
    return {
        "clinic": clinic,
        "dr_ana": dr_ana,
        "rn_cara": personas.rn_cara,
        "paul": paul,
        "alert": alert,
    }


def top_of_caseload(membership: Membership) -> str:
    return list_caseload_for(membership, now=timezone.now())[0].patient.family_name


def test_one_click_with_an_empty_note_does_not_close_an_item9_3_alert(urgent):
    alert = urgent["alert"]
    response = client_for("dr_ana").post(reverse("alerts:resolve", args=[alert.pk]), {"note": ""})
    assert response.status_code == 422
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert alert.resolved_at is None


def test_resolving_a_safety_alert_without_a_contact_outcome_is_refused_in_the_service(urgent):
    ana = urgent["dr_ana"]
    with pytest.raises(ValidationError, match="closed by contact"):
        resolve_alert(actor_for(ana), ana, urgent["alert"].pk, NOTE)
    urgent["alert"].refresh_from_db()
    assert urgent["alert"].status == AlertStatus.OPEN


def test_unable_to_reach_cannot_resolve_a_safety_alert(urgent):
    ana = urgent["dr_ana"]
    with pytest.raises(ValidationError, match="closed by contact"):
        resolve_alert(
            actor_for(ana), ana, urgent["alert"].pk, NOTE, outcome=ContactOutcome.UNABLE_TO_REACH
        )
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_resolution_without_a_note_is_refused_in_the_service(urgent, note):
    ana = urgent["dr_ana"]
    with pytest.raises(ValidationError, match="Write a note"):
        resolve_alert(actor_for(ana), ana, urgent["alert"].pk, note, outcome=ContactOutcome.REACHED)
    with pytest.raises(ValidationError, match="Write a note"):
        record_contact_attempt(
            actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.REACHED, note
        )
    urgent["alert"].refresh_from_db()
    assert urgent["alert"].status == AlertStatus.OPEN
    assert not ContactAttempt.objects.exists()


def test_acknowledging_records_who_and_when_and_keeps_the_alert_open(urgent):
    ana = urgent["dr_ana"]
    alert = acknowledge_alert(actor_for(ana), ana, urgent["alert"].pk)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.is_unresolved
    assert alert.acknowledged_by_id == ana.user_id
    assert alert.acknowledged_at is not None
    assert alert.resolved_at is None
    assert alert.next_escalation_at is not None  # still escalating
    event = AuditEvent.objects.get(action="acknowledge")
    assert (event.user_id, event.patient_id) == (ana.user_id, urgent["paul"].pk)


def test_acknowledging_keeps_the_patient_on_top_of_the_caseload(urgent):
    ana = urgent["dr_ana"]
    assert top_of_caseload(ana) == "Moreno"
    acknowledge_alert(actor_for(ana), ana, urgent["alert"].pk)
    (row,) = [r for r in list_caseload_for(ana, now=timezone.now()) if r.open_alerts]
    assert top_of_caseload(ana) == "Moreno"
    assert (row.open_alerts, row.urgent_alerts, row.unacknowledged_alerts) == (1, 1, 0)


def test_the_caseload_says_an_acknowledged_alert_awaits_contact(urgent):
    ana = urgent["dr_ana"]
    acknowledge_alert(actor_for(ana), ana, urgent["alert"].pk)
    page = client_for("dr_ana").get(reverse("clinic:caseload")).content.decode()
    assert "Safety · urgent" in page
    assert "acknowledged, awaiting contact" in page


def test_reaching_the_patient_closes_the_alert_and_lets_them_down_the_caseload(urgent):
    ana = urgent["dr_ana"]
    acknowledge_alert(actor_for(ana), ana, urgent["alert"].pk)
    attempt = record_contact_attempt(
        actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.REACHED, f"  {NOTE}  "
    )
    alert = attempt.alert
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_by_id == ana.user_id
    assert alert.resolution_note == NOTE
    assert alert.next_escalation_at is None
    assert top_of_caseload(ana) == "Severe"


@pytest.mark.parametrize(
    "outcome", [ContactOutcome.LEFT_MESSAGE, ContactOutcome.EMERGENCY_SERVICES]
)
def test_a_message_left_or_emergency_services_called_close_the_alert_too(urgent, outcome):
    ana = urgent["dr_ana"]
    alert = resolve_alert(actor_for(ana), ana, urgent["alert"].pk, NOTE, outcome=outcome)
    assert alert.status == AlertStatus.RESOLVED
    assert ContactAttempt.objects.get().outcome == outcome


def test_unable_to_reach_is_recorded_and_keeps_the_alert_open_and_on_top(urgent):
    ana = urgent["dr_ana"]
    acknowledge_alert(actor_for(ana), ana, urgent["alert"].pk)
    before = Alert.objects.get().next_escalation_at
    attempt = record_contact_attempt(
        actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.UNABLE_TO_REACH, "No answer."
    )
    alert = Alert.objects.get()
    assert attempt.outcome == ContactOutcome.UNABLE_TO_REACH
    assert alert.status == AlertStatus.ACKNOWLEDGED
    # The attempt does not postpone the next escalation (a choice, lasting_core.escalation).
    assert alert.next_escalation_at == before
    assert top_of_caseload(ana) == "Moreno"


def test_a_first_contact_attempt_acknowledges_an_unacknowledged_alert(urgent):
    cara = urgent["rn_cara"]
    record_contact_attempt(
        actor_for(cara), cara, urgent["alert"].pk, ContactOutcome.UNABLE_TO_REACH, "Voicemail full."
    )
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by_id == cara.user_id
    assert AuditEvent.objects.filter(action="acknowledge", user_id=cara.user_id).count() == 1


def test_every_attempt_is_kept_in_order_and_audited_without_clinical_values(urgent):
    ana, cara = urgent["dr_ana"], urgent["rn_cara"]
    record_contact_attempt(
        actor_for(cara), cara, urgent["alert"].pk, ContactOutcome.UNABLE_TO_REACH, "No answer."
    )
    record_contact_attempt(
        actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.UNABLE_TO_REACH, "Still none."
    )
    record_contact_attempt(actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.REACHED, NOTE)
    attempts = list(Alert.objects.get().contact_attempts.all())
    assert [(a.outcome, a.recorded_by_id) for a in attempts] == [
        (ContactOutcome.UNABLE_TO_REACH, cara.user_id),
        (ContactOutcome.UNABLE_TO_REACH, ana.user_id),
        (ContactOutcome.REACHED, ana.user_id),
    ]
    events = AuditEvent.objects.filter(object_type="ContactAttempt")
    assert sorted(int(e.object_id) for e in events) == sorted(a.pk for a in attempts)
    assert {e.patient_id for e in events} == {urgent["paul"].pk}
    for event in AuditEvent.objects.all():
        stored = " ".join(str(value) for value in event.__dict__.values())
        assert "safety plan" not in stored
        assert "unable" not in stored.lower()
        assert "No answer" not in stored


def test_a_closed_alert_takes_no_further_attempts(urgent):
    ana = urgent["dr_ana"]
    record_contact_attempt(actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.REACHED, NOTE)
    with pytest.raises(ValidationError, match="already closed"):
        record_contact_attempt(
            actor_for(ana), ana, urgent["alert"].pk, ContactOutcome.REACHED, "Again."
        )
    assert ContactAttempt.objects.count() == 1


def test_an_unknown_outcome_is_refused(urgent):
    ana = urgent["dr_ana"]
    with pytest.raises(ValidationError, match="not a contact outcome"):
        record_contact_attempt(actor_for(ana), ana, urgent["alert"].pk, "texted", NOTE)


def test_a_job_cannot_record_contact_for_a_person(urgent):
    ana = urgent["dr_ana"]
    with pytest.raises(PermissionDenied):
        record_contact_attempt(
            Actor.system("import", urgent["clinic"].pk),
            ana,
            urgent["alert"].pk,
            ContactOutcome.REACHED,
            NOTE,
        )


def engine_alert(urgent) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        organization=urgent["clinic"],
        patient=urgent["paul"],
        kind=AlertKind.EARLY_WARNING,
        priority=Priority.REVIEW,
        reason="PHQ-9 rising.",
        opened_at=now,
        episode_day=1,
    )


def test_engine_alerts_keep_their_simple_acknowledge_and_resolve_with_a_note(urgent):
    ana, alert = urgent["dr_ana"], engine_alert(urgent)
    acknowledge_alert(actor_for(ana), ana, alert.pk)
    with pytest.raises(ValidationError, match="Write a note"):
        resolve_alert(actor_for(ana), ana, alert.pk, "  ")
    resolved = resolve_alert(actor_for(ana), ana, alert.pk, "Booster booked.")
    assert resolved.status == AlertStatus.RESOLVED
    assert resolved.next_escalation_at is None


def test_contact_outcomes_belong_to_safety_alerts_only(urgent):
    ana, alert = urgent["dr_ana"], engine_alert(urgent)
    with pytest.raises(ValidationError, match="safety alerts only"):
        record_contact_attempt(actor_for(ana), ana, alert.pk, ContactOutcome.REACHED, NOTE)


def test_the_page_refuses_a_contact_without_a_note_and_says_why(urgent):
    alert = urgent["alert"]
    response = client_for("rn_cara").post(
        reverse("alerts:contact", args=[alert.pk]), {"outcome": "reached", "note": ""}
    )
    assert response.status_code == 422
    assert b"Write a note" in response.content
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_the_page_records_a_closing_contact_and_shows_it(urgent):
    alert = urgent["alert"]
    client = client_for("rn_cara")
    response = client.post(
        reverse("alerts:contact", args=[alert.pk]), {"outcome": "left_message", "note": NOTE}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:detail", args=[alert.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Left a message" in page
    assert "Closed by" in page
    assert 'id="record-contact"' not in page


def test_an_acknowledged_safety_alert_is_resolved_by_a_contact_outcome_with_a_note(safety_alert):
    client = client_for("dr_ana")
    alert = safety_alert
    client.post(reverse("alerts:acknowledge", args=[alert.pk]))
    missing = client.post(
        reverse("alerts:contact", args=[alert.pk]), {"outcome": "reached", "note": " "}
    )
    assert missing.status_code == 422
    clicked = client.post(reverse("alerts:resolve", args=[alert.pk]), {"note": "called"})
    assert clicked.status_code == 422
    client.post(
        reverse("alerts:contact", args=[alert.pk]),
        {"outcome": "reached", "note": "called; safety plan"},
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_note == "called; safety plan"
