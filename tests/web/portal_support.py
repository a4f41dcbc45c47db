"""The personas as patients of the portal, and steps shared by the patient-portal tests.

Built on tests/personas.py:
- paul: Paul Moreno, Clinic A, may sign in (portal access), English, lives in Los Angeles.
- pia: Clinic A, may sign in, Spanish; Paul must never see anything of hers.
- bruno: Clinic B (another organisation), may sign in.
- dr_ana: clinician in Clinic A, treats Paul and Pia.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core import mail
from django.test import Client

from lasting.accounts.models import Membership, Organization
from lasting.patients.models import Patient
from tests.factories import make_patient
from tests.personas import Personas

PAUL_EMAIL = "paul@example.org"
PIA_EMAIL = "pia@example.org"
BRUNO_EMAIL = "bruno@example.net"
LINK = re.compile(r"https?://[^/\s]+(/me/sign-in/[^/\s]+/)")


@dataclass
class World:
    clinic_a: Organization
    clinic_b: Organization
    dr_ana: Membership
    paul: Patient
    pia: Patient
    bruno: Patient


def make_world(personas: Personas) -> World:
    """Give the personas' Paul the portal, and add Pia beside him and Bruno in Clinic B."""
    clinic_a, clinic_b, dr_ana, paul = (
        personas.clinic,
        personas.other_clinic,
        personas.dr_ana,
        personas.paul,
    )
    paul.email = PAUL_EMAIL
    paul.portal_access = True
    paul.time_zone = "America/Los_Angeles"
    paul.save()
    pia = make_patient(
        clinic_a,
        given_name="Pia",
        family_name="Secretfamily",
        record_number="PIA-SECRET-7",
        email=PIA_EMAIL,
        portal_access=True,
        preferred_language="es",
        assigned_clinician=dr_ana.user,
    )
    bruno = make_patient(
        clinic_b,
        given_name="Bruno",
        family_name="Otherclinic",
        record_number="BRUNO-OTHER-9",
        email=BRUNO_EMAIL,
        portal_access=True,
    )
    return World(clinic_a, clinic_b, dr_ana, paul, pia, bruno)


def request_link(client: Client, email: str, **extra: str) -> str:
    """Ask for a sign-in link; return the path in the newest e-mail (or "" if none came)."""
    before = len(mail.outbox)
    client.post("/me/sign-in/", {"email": email, **extra})
    if len(mail.outbox) == before:
        return ""
    match = LINK.search(mail.outbox[-1].body)
    assert match, "the e-mail carries a sign-in link"
    return match.group(1)


def signed_in_client(email: str) -> Client:
    client = Client()
    path = request_link(client, email)
    assert path, f"no sign-in link was sent to {email}"
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    return client
