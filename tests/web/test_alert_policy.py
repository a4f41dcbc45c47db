"""A clinic admin sets the safety-alert policy: service level, contacts, business hours.

Personas:
- admin_dora: admin of Clinic A.
- dr_ana: clinician in Clinic A; rn_cara: nurse in Clinic A.
- dr_olga: clinician in Clinic B, never a contact for Clinic A.
"""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lasting.accounts.models import Organization
from lasting.accounts.services import update_alert_policy
from lasting.audit.models import AuditEvent
from lasting.audit.services import Actor
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def policy(personas, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "alert_ack_sla_minutes": "120",
        "escalation_contact": str(personas.dr_ana.user_id),
        "after_hours_contact": str(personas.rn_cara.user_id),
        "business_weekdays": ["1", "2", "3", "4", "5", "6"],
        "business_opens": "07:30",
        "business_closes": "19:00",
        "early_warning_budget_per_year": "1.0",
        "disengagement_budget_per_year": "1.0",
    }
    form.update(changes)
    return form


def test_the_admin_sets_business_hours_and_the_after_hours_contact(personas):
    response = client_for("admin_dora").post(reverse("accounts:organization"), policy(personas))
    assert response.status_code == 302
    clinic = Organization.objects.get(pk=personas.clinic.pk)
    assert clinic.alert_ack_sla_minutes == 120
    assert clinic.after_hours_contact == personas.rn_cara.user
    assert clinic.business_weekdays == "123456"
    assert (clinic.business_opens, clinic.business_closes) == (time(7, 30), time(19, 0))
    event = AuditEvent.objects.get(action="update", object_type="Organization")
    assert event.username == "admin_dora"
    page = client_for("admin_dora").get(reverse("accounts:organization")).content.decode()
    assert "07:30–19:00" in page
    assert "after-hours contact" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"business_opens": "19:00", "business_closes": "07:00"}, "close after they open"),
        ({"alert_ack_sla_minutes": "5"}, "greater than or equal to 15"),
        ({"alert_ack_sla_minutes": "2000"}, "less than or equal to 1440"),
    ],
)
def test_a_policy_that_makes_no_sense_is_refused_and_nothing_changes(personas, changes, message):
    response = client_for("admin_dora").post(
        reverse("accounts:organization"), policy(personas, **changes)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    clinic = Organization.objects.get(pk=personas.clinic.pk)
    assert clinic.alert_ack_sla_minutes == 240
    assert clinic.after_hours_contact is None


def test_a_contact_from_another_clinic_is_not_offered_nor_accepted(personas):
    olga = personas.dr_olga.user_id
    response = client_for("admin_dora").post(
        reverse("accounts:organization"), policy(personas, after_hours_contact=str(olga))
    )
    assert response.status_code == 422
    assert Organization.objects.get(pk=personas.clinic.pk).after_hours_contact is None


def test_the_service_refuses_a_contact_who_does_not_handle_alerts(personas):
    dora = personas.admin_dora
    clinic = Organization.objects.get(pk=personas.clinic.pk)
    clinic.after_hours_contact = dora.user  # an admin: handles no safety alerts
    actor = Actor(dora.user_id, "admin_dora", clinic.pk, None, "")
    with pytest.raises(PermissionDenied):
        update_alert_policy(actor, dora, clinic)
    assert Organization.objects.get(pk=clinic.pk).after_hours_contact is None


@pytest.mark.parametrize("persona", ["dr_ana", "rn_cara", "dr_olga"])
def test_only_the_clinics_admin_changes_its_alert_policy(personas, persona):
    response = client_for(persona).post(reverse("accounts:organization"), policy(personas))
    assert response.status_code == 403
    assert Organization.objects.get(pk=personas.clinic.pk).alert_ack_sla_minutes == 240
