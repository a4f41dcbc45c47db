"""The people every app test meets, each with what they may do (docs/clinical.md#roles).

Clinic A (`personas.clinic`):

- `dr_ana`     clinician who treats Paul (his assigned clinician): reads and edits every
               chart of Clinic A, reviews engine alerts, decides boosters, takes safety
               alerts; Paul's alerts are assigned to her.
- `dr_ben`     clinician of Clinic A who does not treat Paul: the same rights as dr_ana,
               but Paul is not on his own list and Paul's alerts are not his; he is who an
               overdue alert of Paul's escalates to.
- `rn_cara`    nurse (stored role "staff"): charts, sessions, check-ins and safety alerts;
               never engine alerts, risk or forecasts, nor booster decisions.
- `sam_front`  scheduler (front desk): names, contact details and appointments; never
               doses, vital signs, scores or item 9.
- `admin_dora` clinic admin: people, roles, locations and policies; no charts.

Clinic B (`personas.other_clinic`):

- `dr_olga`    clinician of another organisation: sees nothing of Clinic A (its objects
               answer 404).

- `paul`       Paul Moreno, patient of Clinic A, treated by dr_ana; no check-ins, sessions
               or alerts until a test adds them.

Everyone signs in with `tests.factories.PASSWORD`; `client_for(username)` returns a
signed-in test client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from lasting.accounts.models import Membership, Organization, Role
from lasting.patients.models import Patient
from tests.factories import make_member, make_organization, make_patient, sign_in


@dataclass(frozen=True)
class Personas:
    clinic: Organization
    other_clinic: Organization
    dr_ana: Membership
    dr_ben: Membership
    rn_cara: Membership
    sam_front: Membership
    admin_dora: Membership
    dr_olga: Membership
    paul: Patient

    def member(self, username: str) -> Membership:
        """The membership of the persona called `username`."""
        membership = getattr(self, username)
        assert isinstance(membership, Membership), username
        return membership


def make_personas(**clinic_overrides: Any) -> Personas:
    """Clinic A with its five people and Paul, and dr_olga in Clinic B.

    `clinic_overrides` go to Clinic A's organisation (e.g. `time_zone="America/Denver"`).
    """
    clinic = make_organization(**{"name": "Clinic A", **clinic_overrides})
    other_clinic = make_organization(name="Clinic B")
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana", first_name="Ana")
    return Personas(
        clinic=clinic,
        other_clinic=other_clinic,
        dr_ana=dr_ana,
        dr_ben=make_member(clinic, Role.CLINICIAN, "dr_ben", first_name="Ben"),
        rn_cara=make_member(clinic, Role.STAFF, "rn_cara", first_name="Cara"),
        sam_front=make_member(clinic, Role.SCHEDULER, "sam_front", first_name="Sam"),
        admin_dora=make_member(clinic, Role.ADMIN, "admin_dora", first_name="Dora"),
        dr_olga=make_member(other_clinic, Role.CLINICIAN, "dr_olga", first_name="Olga"),
        paul=make_patient(
            clinic, given_name="Paul", family_name="Moreno", assigned_clinician=dr_ana.user
        ),
    )


def client_for(username: str) -> Client:
    """A test client signed in as `username`."""
    client = Client()
    assert sign_in(client, username), username
    return client
