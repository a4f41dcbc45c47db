"""Who may see and change the clinic's set-up: every organisation page against every role,
a foreign clinic's admin and an anonymous visitor. The personas are in tests/personas.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Invitation, Location, Membership, Role
from lasting.audit.models import AuditEvent
from tests.factories import make_member
from tests.personas import Personas, client_for

pytestmark = pytest.mark.django_db

ROLES = ("dr_ana", "rn_cara", "sam_front", "admin_dora", "admin_olaf")


@pytest.fixture
def setup_world(personas: Personas) -> dict[str, object]:
    """Clinic A's location and open invitation; admin_olaf runs Clinic B."""
    make_member(personas.other_clinic, Role.ADMIN, "admin_olaf", first_name="Olaf")
    location = Location.objects.create(organization=personas.clinic, name="Main St", chairs=3)
    invitation = Invitation.objects.create(
        organization=personas.clinic,
        email="new@clinic-a.example",
        role=Role.STAFF,
        token_hash="0" * 64,
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {"location": location, "invitation": invitation, "cara": personas.rn_cara}


PAGES = {
    "organization": lambda w: reverse("accounts:organization"),
    "new_location": lambda w: reverse("accounts:new_location"),
    "edit_location": lambda w: reverse("accounts:edit_location", args=[w["location"].pk]),
    "invite": lambda w: reverse("accounts:invite"),
    "edit_member": lambda w: reverse("accounts:edit_member", args=[w["cara"].pk]),
    "prices": lambda w: reverse("schedule:prices"),
    "checkin_defaults": lambda w: reverse("outreach:checkin_defaults"),
}
# Columns: dr_ana, rn_cara, sam_front, admin_dora (Clinic A), admin_olaf (Clinic B).
EXPECTED = {
    "organization": (403, 403, 403, 200, 200),
    "new_location": (403, 403, 403, 200, 200),
    "edit_location": (403, 403, 403, 200, 404),
    "invite": (403, 403, 403, 200, 200),
    "edit_member": (403, 403, 403, 200, 404),
    "prices": (403, 403, 403, 200, 200),
    "checkin_defaults": (403, 403, 403, 200, 200),
}


@pytest.mark.parametrize(
    ("page", "persona"), [(page, persona) for page in PAGES for persona in ROLES]
)
def test_each_set_up_page_answers_each_persona_as_the_rules_say(setup_world, page, persona):
    response = client_for(persona).get(PAGES[page](setup_world))

    assert response.status_code == EXPECTED[page][ROLES.index(persona)]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_login(setup_world, page):
    response = Client().get(PAGES[page](setup_world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("persona", "status"), [("rn_cara", 403), ("admin_olaf", 404)])
def test_nobody_else_changes_a_location_or_a_role(setup_world, persona, status):
    client = client_for(persona)
    location, cara = setup_world["location"], setup_world["cara"]

    changed_location = client.post(
        reverse("accounts:edit_location", args=[location.pk]),
        {"name": "Taken", "address": "", "time_zone": "UTC", "chairs": "9", "is_active": "on"},
    )
    promoted = client.post(
        reverse("accounts:edit_member", args=[cara.pk]),
        {"role": Role.ADMIN.value, "title": "", "is_active": "on"},
    )

    assert (changed_location.status_code, promoted.status_code) == (status, status)
    location.refresh_from_db()
    assert (location.name, location.chairs) == ("Main St", 3)
    assert Membership.objects.get(pk=cara.pk).role == Role.STAFF


@pytest.mark.parametrize(("persona", "status"), [("dr_ana", 403), ("admin_olaf", 404)])
def test_nobody_else_revokes_an_invitation(setup_world, persona, status):
    invitation = setup_world["invitation"]

    response = client_for(persona).post(reverse("accounts:revoke_invitation", args=[invitation.pk]))

    assert response.status_code == status
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_foreign_admin_invites_only_into_their_own_clinic(setup_world, personas):
    client_for("admin_olaf").post(
        reverse("accounts:invite"), {"email": "x@b.example", "role": Role.CLINICIAN.value}
    )

    invitation = Invitation.objects.get(email="x@b.example")
    assert invitation.organization == personas.other_clinic


def test_a_refused_change_leaves_the_audit_trail_without_a_change(setup_world):
    before = AuditEvent.objects.filter(action="privilege_change").count()

    client_for("sam_front").post(
        reverse("accounts:edit_member", args=[setup_world["cara"].pk]),
        {"role": Role.ADMIN.value, "title": "", "is_active": "on"},
    )

    assert AuditEvent.objects.filter(action="privilege_change").count() == before
