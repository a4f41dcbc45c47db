"""Personal API tokens: created in the member's settings, shown once, stored hashed,
acting as one membership, revoked at once, audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from lasting.accounts.apitokens import (
    MAX_ACTIVE_TOKENS,
    bearer_secret,
    create_api_token,
    find_api_token,
    revoke_api_token,
    sign_in_with_token,
)
from lasting.accounts.models import ApiToken
from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action, AuditEvent
from lasting.audit.services import Actor
from tests.personas import client_for

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"lst_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def test_the_settings_page_shows_a_new_token_once_and_keeps_only_its_hash(personas):
    client = client_for("rn_cara")
    created = client.post("/accounts/tokens/", {"name": "EHR bridge"})
    assert created.status_code == 200
    secret = SECRET.search(created.content.decode()).group(0)
    token = ApiToken.objects.get(membership=personas.rn_cara)
    assert token.token_hash == hash_token(secret)
    assert secret not in str(ApiToken.objects.values().get())
    listed = client.get("/accounts/tokens/").content.decode()
    assert "EHR bridge" in listed
    assert f"lst_{token.prefix}_" in listed
    assert secret not in listed
    assert created["Cache-Control"] == "no-store"


def test_a_nameless_token_is_refused_with_the_reason(personas):
    response = client_for("dr_ana").post("/accounts/tokens/", {"name": "  "})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_opens_its_own_membership_and_nothing_else(personas):
    token, secret = create_api_token(Actor.system("test"), personas.sam_front, "calendar")
    assert find_api_token(secret) == token
    assert find_api_token(secret + "x") is None
    assert find_api_token("lst_" + "0" * 8 + "_guess") is None
    assert find_api_token("Basic abc") is None
    request = RequestFactory().get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert bearer_secret(request) == secret
    assert sign_in_with_token(request, secret) == personas.sam_front
    assert request.user == personas.sam_front.user
    assert request.membership.role == "scheduler"


def test_revoking_or_deactivating_closes_the_token(personas):
    actor = Actor.system("test")
    token, secret = create_api_token(actor, personas.dr_ana, "one")
    revoke_api_token(actor, personas.dr_ana, token.pk)
    assert find_api_token(secret) is None
    _other, other_secret = create_api_token(actor, personas.dr_ana, "two")
    personas.dr_ana.is_active = False
    personas.dr_ana.save()
    assert find_api_token(other_secret) is None


def test_only_the_owner_revokes_a_token(personas):
    actor = Actor.system("test")
    token, secret = create_api_token(actor, personas.dr_ana, "mine")
    with pytest.raises(PermissionDenied):
        revoke_api_token(actor, personas.dr_ben, token.pk)
    response = client_for("dr_olga").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 403
    assert find_api_token(secret) == token
    client_for("dr_ana").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert find_api_token(secret) is None


def test_creating_and_revoking_are_audited_as_privilege_changes(personas):
    client = client_for("dr_ana")
    client.post("/accounts/tokens/", {"name": "bridge"})
    token = ApiToken.objects.get()
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    events = AuditEvent.objects.filter(action=Action.PRIVILEGE_CHANGE).order_by("id")
    assert [(e.object_type, e.object_id) for e in events] == [
        ("api_token_created", str(token.pk)),
        ("api_token_revoked", str(token.pk)),
    ]
    assert {e.organization_id for e in events} == {personas.clinic.pk}


def test_a_member_holds_at_most_ten_active_tokens(personas):
    actor = Actor.system("test")
    for number in range(MAX_ACTIVE_TOKENS):
        create_api_token(actor, personas.dr_ana, f"t{number}")
    with pytest.raises(ValidationError):
        create_api_token(actor, personas.dr_ana, "one too many")


def test_the_last_use_is_written_at_most_once_a_minute(personas):
    token, secret = create_api_token(Actor.system("test"), personas.dr_ana, "busy")
    start = timezone.now()
    find_api_token(secret, now=start)
    find_api_token(secret, now=start + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == start
    find_api_token(secret, now=start + timedelta(minutes=2))
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(minutes=2)
