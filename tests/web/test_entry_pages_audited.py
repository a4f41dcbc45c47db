"""Every page that shows a patient to enter data about them records the read in the audit
trail, as charts do. Personas: tests/personas.py (dr_ana treats Paul)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from tests.personas import client_for

pytestmark = pytest.mark.django_db

ENTRY_PAGES = [
    "intake:new_session",
    "intake:new_event",
    "intake:enter_phq9",
    "intake:new_life_event",
    "intake:new_medication_change",
    "intake:new_therapy_event",
    "plans:edit_plan",
]


@pytest.mark.parametrize("name", ENTRY_PAGES)
def test_opening_an_entry_page_is_audited_as_a_read_of_the_patient(personas, name):
    paul = personas.paul
    response = client_for("dr_ana").get(reverse(name, args=[paul.pk]))

    assert response.status_code == 200
    assert paul.family_name in response.content.decode()
    assert AuditEvent.objects.filter(
        action=Action.READ, patient_id=paul.pk, user_id=personas.dr_ana.user_id
    ).exists()
