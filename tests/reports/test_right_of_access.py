"""Right of access: a patient's whole record as JSON and PDF, for them and for staff.

Who may export (src/lasting/accounts/rules.py `can_export_patient_record`): dr_ana and
dr_ben (clinicians) and admin_dora (the admin answers access requests for the clinic);
never rn_cara (the record holds the engine's risk, which nurses never see), sam_front
(doses and scores) or dr_olga (another organisation: 404). Paul exports his own from
the portal.
"""

from __future__ import annotations

import pytest

from lasting.accounts import rules
from tests.personas import Personas

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("dr_ana", True),
        ("dr_ben", True),
        ("admin_dora", True),
        ("rn_cara", False),
        ("sam_front", False),
    ],
)
def test_clinicians_and_admins_may_export_a_record(personas: Personas, persona, allowed):
    assert rules.can_export_patient_record(personas.member(persona)) is allowed


def test_a_deactivated_clinician_may_not_export(personas: Personas):
    personas.dr_ana.is_active = False
    assert rules.can_export_patient_record(personas.dr_ana) is False


def test_nobody_without_a_membership_may_export():
    assert rules.can_export_patient_record(None) is False
