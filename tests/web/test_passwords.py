"""Password rules (NIST SP 800-63B 5.1.1.2: at least 12 characters here, up to 128, no
common, repetitive or sequential passwords) and the pages to change and reset one.
Personas: tests/personas.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from tests.factories import PASSWORD, sign_in
from tests.personas import client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet harbour lantern 42"


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "123456789012",
        "abcdefghijkl",
        "987654321098",
        "abababababab",
        "qwertyqwerty",
        "11112222333344",
    ],
)
def test_repetitive_or_sequential_passwords_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(
        error.code in {"password_repetitive", "password_too_common"}
        for error in refused.value.error_list
    ), refused.value.messages


@pytest.mark.parametrize(
    "password", ["7589-ad07-7fd9-5c70", "correct horse battery staple", NEW_PASSWORD]
)
def test_passphrases_and_generated_passwords_pass(password):
    validate_password(password)


def test_a_member_changes_their_password_and_their_other_sessions_end(personas):
    other_device = client_for("rn_cara")
    client = client_for("rn_cara")
    refused = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "aaaaaaaaaaaa",
            "new_password2": "aaaaaaaaaaaa",
        },
    )
    assert refused.status_code == 200
    assert "repeats" in refused.content.decode()

    changed = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert client.get(reverse("clinic:caseload")).status_code == 200  # this session stays
    assert other_device.get(reverse("clinic:caseload")).status_code == 302  # signed out
    assert sign_in(Client(), "rn_cara", NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action=Action.PRIVILEGE_CHANGE, user_id=personas.rn_cara.user_id, object_type="password"
    ).exists()


def test_a_forgotten_password_is_reset_by_an_emailed_single_use_link(personas):
    user = personas.rn_cara.user
    user.email = "cara@clinic.example"
    user.save()
    anonymous = Client()

    sent = anonymous.post(reverse("accounts:password_reset"), {"email": "CARA@clinic.example"})
    unknown = anonymous.post(reverse("accounts:password_reset"), {"email": "nobody@x.example"})

    # The same answer whether or not the address is known; one e-mail, to the member.
    assert sent.status_code == unknown.status_code == 302
    assert [message.to for message in mail.outbox] == [["cara@clinic.example"]]
    body = mail.outbox[0].body
    link = re.search(r"https?://\S+/accounts/reset/\S+", body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = anonymous.get("/" + path, follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else "/" + path
    done = anonymous.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert sign_in(Client(), "rn_cara", NEW_PASSWORD)
    # The link is single use.
    again = Client().get("/" + path, follow=True)
    assert "no longer valid" in again.content.decode()
    assert AuditEvent.objects.filter(
        action=Action.PRIVILEGE_CHANGE, user_id=user.pk, object_type="password"
    ).exists()


def test_reset_e_mails_from_one_address_are_limited_and_the_page_does_not_say_so(personas):
    user = personas.rn_cara.user
    user.email = "cara@clinic.example"
    user.save()
    client = Client()
    answers = [
        client.post(reverse("accounts:password_reset"), {"email": "cara@clinic.example"})
        for _ in range(7)
    ]
    assert {answer.status_code for answer in answers} == {302}
    assert {answer["Location"] for answer in answers} == {reverse("accounts:password_reset_sent")}
    assert len(mail.outbox) == 5
