"""Patients sign in by an e-mailed, single-use link; the session holds one patient only.

Personas (tests/web/portal_support.py): patient_paul and patient_pia in Clinic A,
patient_bruno in Clinic B, dr_ana a clinician in Clinic A.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.redaction import RedactingFilter
from lasting.checkins.models import CheckIn
from lasting.patients.models import Patient
from lasting.plans.models import BoosterProposal, MaintenancePlan, ProposalStatus
from lasting.portal.models import SignInRequest
from lasting.portal.services import SIGN_IN_SALT
from lasting.portal.sessions import SESSION_ORGANIZATION, SESSION_PATIENT
from lasting.treatment.models import Appointment, SessionKind
from tests.factories import make_phq9, sign_in
from tests.web.portal_support import (
    BRUNO_EMAIL,
    LINK,
    PAUL_EMAIL,
    PIA_EMAIL,
    World,
    make_world,
    request_link,
    signed_in_client,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

CLINICAL_WORDS = ("ketamine", "depression", "phq", "gad", "pcl", "score", "symptom", "mood")


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def sent_page(client: Client, email: str) -> bytes:
    response = client.post("/me/sign-in/", {"email": email, "lang": "en"}, follow=True)
    assert response.status_code == 200
    return response.content


def test_a_registered_patient_gets_a_link_by_email_and_is_signed_in(world, mailoutbox):
    client = Client()
    response = client.post("/me/sign-in/", {"email": PAUL_EMAIL})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [PAUL_EMAIL]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Your sign-in link"
    match = LINK.search(message.body)
    assert match
    path = match.group(1)
    assert f"{settings.SITE_URL}{path}" in message.body

    confirm = client.get(path)
    assert confirm.status_code == 200
    assert b"Sign in" in confirm.content
    assert b'id="crisis-footer"' in confirm.content

    signed_in = client.post(path)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/me/"
    home = client.get("/me/")
    assert home.status_code == 200
    assert b"Hello, Paul" in home.content
    login = AuditEvent.objects.get(action=Action.LOGIN, patient_id=world.paul.pk)
    assert login.username == f"patient:{world.paul.pk}"
    assert login.outcome == Outcome.SUCCESS


def test_only_a_hash_of_the_token_is_stored(world, mailoutbox):
    path = request_link(Client(), PAUL_EMAIL)
    row = SignInRequest.objects.get(patient=world.paul)
    token = signing.TimestampSigner(salt=SIGN_IN_SALT).unsign(path.split("/")[3])
    assert row.token_hash
    assert token not in row.token_hash
    assert PAUL_EMAIL not in row.email_digest
    assert row.expires_at == row.requested_at + timedelta(minutes=15)


def test_unknown_and_registered_addresses_get_the_same_answer(world, mailoutbox):
    registered = sent_page(Client(), PAUL_EMAIL)
    unknown = sent_page(Client(), "nobody@example.org")
    assert registered == unknown
    assert b"If that address is registered, we sent a link" in unknown
    assert b'id="crisis-footer"' in unknown
    assert len(mailoutbox) == 1


def test_an_address_without_portal_access_gets_no_link(world, mailoutbox):
    Patient.objects.filter(pk=world.paul.pk).update(portal_access=False)
    assert sent_page(Client(), PAUL_EMAIL) == sent_page(Client(), "nobody@example.org")
    assert mailoutbox == []


def test_an_address_shared_by_two_patients_gets_no_link(world, mailoutbox):
    Patient.objects.filter(pk=world.bruno.pk).update(email=PAUL_EMAIL.upper())
    sent_page(Client(), PAUL_EMAIL)
    assert mailoutbox == []


def test_the_address_matches_whatever_its_case(world, mailoutbox):
    assert request_link(Client(), "  Paul@Example.ORG ")
    assert mailoutbox[0].to == [PAUL_EMAIL]


def test_a_malformed_address_is_named_and_nothing_is_stored(world, mailoutbox):
    response = Client().post("/me/sign-in/", {"email": "not-an-address"})
    assert response.status_code == 422
    assert b"Enter a valid email address." in response.content
    assert not SignInRequest.objects.exists()


def test_an_expired_link_is_refused_with_crisis_resources(world, mailoutbox):
    client = Client()
    path = request_link(client, PAUL_EMAIL)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        opened = client.get(path)
        used = client.post(path)
    assert opened.status_code == used.status_code == 410
    assert b"This sign-in link has expired" in used.content
    assert b'id="crisis-footer"' in used.content
    assert client.get("/me/").status_code == 302
    assert AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, patient_id=world.paul.pk, outcome=Outcome.FAILURE
    ).exists()


def test_a_link_works_until_its_fifteenth_minute(world, mailoutbox):
    client = Client()
    path = request_link(client, PAUL_EMAIL)
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert client.post(path).status_code == 302


def test_a_used_link_cannot_sign_in_again(world, mailoutbox):
    path = request_link(Client(), PAUL_EMAIL)
    assert Client().post(path).status_code == 302
    second = Client()
    response = second.post(path)
    assert response.status_code == 410
    assert b"This sign-in link was already used" in response.content
    assert second.get("/me/").status_code == 302


def test_opening_a_link_does_not_use_it_up(world, mailoutbox):
    # Mail scanners open every link in an e-mail; only the button uses the link.
    path = request_link(Client(), PAUL_EMAIL)
    assert Client().get(path).status_code == 200
    assert Client().get(path).status_code == 200
    assert Client().post(path).status_code == 302


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda path: path[:-3] + "xx/", id="tampered-signature"),
        pytest.param(
            lambda path: (
                f"/me/sign-in/{signing.TimestampSigner(salt=SIGN_IN_SALT).sign('made-up')}/"
            ),
            id="well-signed-unknown-token",
        ),
        pytest.param(
            lambda path: f"/me/sign-in/{signing.TimestampSigner(salt='other').sign('x')}/",
            id="other-salt",
        ),
        pytest.param(lambda path: "/me/sign-in/garbage/", id="garbage"),
    ],
)
def test_a_forged_link_is_not_found(world, mailoutbox, forge):
    path = request_link(Client(), PAUL_EMAIL)
    client = Client()
    response = client.post(forge(path))
    assert response.status_code == 404
    assert b"This sign-in link is not valid" in response.content
    assert b'id="crisis-footer"' in response.content
    assert client.get("/me/").status_code == 302


def test_a_link_stops_working_when_access_is_withdrawn(world, mailoutbox):
    path = request_link(Client(), PAUL_EMAIL)
    Patient.objects.filter(pk=world.paul.pk).update(portal_access=False)
    assert Client().post(path).status_code == 404


def test_a_link_stops_working_when_the_address_changes(world, mailoutbox):
    path = request_link(Client(), PAUL_EMAIL)
    Patient.objects.filter(pk=world.paul.pk).update(email="paul.new@example.org")
    assert Client().post(path).status_code == 404


def test_a_sixth_request_for_one_address_in_an_hour_is_throttled(world, mailoutbox):
    for _ in range(5):
        assert request_link(Client(), PAUL_EMAIL)
    response = Client().post("/me/sign-in/", {"email": PAUL_EMAIL})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many sign-in requests" in response.content
    assert b'id="crisis-footer"' in response.content
    assert len(mailoutbox) == 5
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert request_link(Client(), PAUL_EMAIL)


def test_throttling_counts_unknown_addresses_the_same_way(world, mailoutbox):
    for _ in range(5):
        Client().post("/me/sign-in/", {"email": "nobody@example.org"})
    response = Client().post("/me/sign-in/", {"email": "NOBODY@example.org"})
    assert response.status_code == 429


def test_one_client_asking_for_many_addresses_is_throttled(world, mailoutbox):
    for n in range(20):
        Client().post("/me/sign-in/", {"email": f"guess{n}@example.org"})
    response = Client().post("/me/sign-in/", {"email": PAUL_EMAIL})
    assert response.status_code == 429
    assert mailoutbox == []


def test_the_session_key_changes_at_sign_in(world, mailoutbox):
    # A session an attacker planted before sign-in must not become the patient's.
    client = Client()
    planted = client.session
    planted["planted"] = True
    planted.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(request_link(client, PAUL_EMAIL))
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get("/me/").status_code == 200


def test_the_session_ends_after_30_minutes_without_activity(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29)):
        assert client.get("/me/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31)):
        response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/sign-in/?timed_out=1")
    page = client.get(response["Location"])
    assert b"You were signed out after 30 minutes without activity." in page.content
    assert client.get("/me/").status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, patient_id=world.paul.pk).exists()


def test_sign_out_ends_the_session(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    home = client.get("/me/")
    assert b'action="/me/sign-out/"' in home.content
    response = client.post("/me/sign-out/")
    assert response.status_code == 302
    assert b"You are signed out." in client.get(response["Location"]).content
    assert client.get("/me/").status_code == 302
    logout = AuditEvent.objects.get(action=Action.LOGOUT, patient_id=world.paul.pk)
    assert logout.username == f"patient:{world.paul.pk}"


def test_sign_out_by_get_changes_nothing(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    client.get("/me/sign-out/")
    assert client.get("/me/").status_code == 200


def test_a_staff_session_does_not_open_the_patient_page(world, mailoutbox):
    client = Client()
    assert sign_in(client, "dr_ana")
    response = client.get("/me/")
    assert response.status_code == 403
    assert b"This page is for patients" in response.content
    assert b"Moreno" not in response.content
    assert b'id="crisis-footer"' in response.content


def test_a_staff_session_with_patient_keys_is_still_not_a_patient(world, mailoutbox):
    client = Client()
    assert sign_in(client, "dr_ana")
    session = client.session
    session[SESSION_PATIENT] = world.paul.pk
    session[SESSION_ORGANIZATION] = world.paul.organization_id
    session.save()
    assert client.get("/me/").status_code == 403


def test_a_staff_sign_in_ends_a_patient_session(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    assert sign_in(client, "dr_ana")
    assert SESSION_PATIENT not in client.session
    client.logout()
    assert client.get("/me/").status_code == 302


def test_a_patient_sign_in_ends_a_staff_session(world, mailoutbox):
    client = Client()
    assert sign_in(client, "dr_ana")
    client.post(request_link(client, PAUL_EMAIL))
    assert client.get(reverse("clinic:caseload")).status_code == 302
    assert client.get("/me/").status_code == 200


def test_a_patient_session_does_not_open_clinic_pages(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    response = client.get(reverse("clinic:patient", args=[world.paul.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_session_naming_another_organisation_shows_nobody(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    session = client.session
    session[SESSION_ORGANIZATION] = world.clinic_b.pk
    session.save()
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/sign-in/")


def test_withdrawing_access_ends_an_open_session(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    Patient.objects.filter(pk=world.paul.pk).update(portal_access=False)
    assert client.get("/me/").status_code == 302


def test_a_changed_email_address_ends_an_open_session(world, mailoutbox):
    """The link proved control of the old address only (it may now be someone else's)."""
    client = signed_in_client(PAUL_EMAIL)
    assert client.get("/me/").status_code == 200
    Patient.objects.filter(pk=world.paul.pk).update(email="paul.new@example.org")
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/sign-in/")
    assert AuditEvent.objects.filter(action=Action.LOGOUT, patient_id=world.paul.pk).exists()


def test_the_same_address_in_other_letter_case_keeps_the_session(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    Patient.objects.filter(pk=world.paul.pk).update(email=PAUL_EMAIL.upper())
    assert client.get("/me/").status_code == 200


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from walk(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, dict(pattern.pattern.converters)


def others_records(world: World) -> dict[str, list[int]]:
    """Ids of Pia's (same clinic) and Bruno's (other clinic) records, by URL argument."""
    ids: dict[str, list[int]] = {"patient_id": [], "alert_id": [], "proposal_id": []}
    for other in (world.pia, world.bruno):
        checkin = make_phq9(other, 23, item9=2)
        ids["patient_id"].append(other.pk)
        ids["alert_id"].extend(other.alerts.values_list("pk", flat=True))
        plan = MaintenancePlan.objects.get_or_create(
            organization_id=other.organization_id, patient=other
        )[0]
        proposal = BoosterProposal.objects.create(
            organization_id=other.organization_id,
            patient=other,
            policy=plan.policy,
            created_at=timezone.now(),
            earliest_on=today_in(other.organization.time_zone),
            latest_on=today_in(other.organization.time_zone) + timedelta(days=7),
            reason="Forecast crossing in 9 days",
            status=ProposalStatus.OPEN,
        )
        ids["proposal_id"].append(proposal.pk)
        assert checkin.pk
    return ids


def url_arguments(converters, ids: dict[str, list[int]]) -> list[dict[str, object]]:
    """One set of URL arguments per other patient: their own record's id where the name is
    known, their patient id for any other number, a made-up token for any text."""

    def value(name: str, converter: object, other: int) -> object:
        if name in ids:
            return ids[name][other]
        if isinstance(converter, IntConverter):
            return ids["patient_id"][other]
        return "not-a-token"

    if not converters:
        return [{}]
    return [
        {name: value(name, converter, other) for name, converter in converters.items()}
        for other in range(len(ids["patient_id"]))
    ]


# Pages anyone may open: signing in, asking for or using a password-reset link, the
# health checks, and the descriptions of the API and FHIR interfaces (no patient data).
PUBLIC_STAFF_PAGES = {
    "healthz",
    "readyz",
    "api:openapi-json",
    "api:openapi-view",
    "fhir:metadata",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_sent",
    "accounts:password_reset_confirm",
}
# The patient's own pages served by an app above the portal (their own report).
PATIENT_PAGES_OUTSIDE_PORTAL = {
    "reports:patient",
    "reports:patient_pdf",
    "reports:patient_record",
    "reports:patient_record_json",
    "reports:patient_record_pdf",
}


def test_a_signed_in_patient_reaches_no_other_patient_by_any_url(world, mailoutbox):
    ids = others_records(world)
    before = (CheckIn.objects.count(), Appointment.objects.count(), BoosterProposal.objects.count())
    secrets = [b"Secretfamily", b"PIA-SECRET-7", b"Otherclinic", b"BRUNO-OTHER-9", b"Pia", b"Bruno"]
    client = signed_in_client(PAUL_EMAIL)
    tried = 0
    for name, converters in walk(get_resolver().url_patterns):
        if name in {"portal:sign_out", "accounts:logout"}:
            continue  # they end the session; tested on their own
        paths = [reverse(name, kwargs=kwargs) for kwargs in url_arguments(converters, ids)]
        for path in paths:
            for method in (client.get, client.post):
                response = method(path, {"patient": world.pia.pk, "patient_id": world.pia.pk})
                tried += 1
                for secret in secrets:
                    assert secret not in response.content, (name, path)
                patient_page = name.startswith("portal:") or name in PATIENT_PAGES_OUTSIDE_PORTAL
                if not patient_page and name not in PUBLIC_STAFF_PAGES:
                    assert response.status_code != 200, (name, path)
    assert tried > 40
    after = (CheckIn.objects.count(), Appointment.objects.count(), BoosterProposal.objects.count())
    assert before == after
    assert not BoosterProposal.objects.exclude(status=ProposalStatus.OPEN).exists()
    # Still Paul, and only Paul.
    home = client.get("/me/", {"patient_id": world.pia.pk})
    assert b"Hello, Paul" in home.content


def test_the_email_carries_no_clinical_words(world, mailoutbox):
    world.clinic_a.name = "Ketamine Depression Clinic"
    world.clinic_a.save()
    request_link(Client(), PAUL_EMAIL)
    request_link(Client(), PIA_EMAIL)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        first_line = message.body.splitlines()[0].lower()
        for word in (*CLINICAL_WORDS, "ketamina", "depresión", "síntoma", "ánimo"):
            assert word not in message.subject.lower()
            assert word not in first_line
        assert "clinic" not in message.body.lower()
        assert "Moreno" not in message.body
        assert "Secretfamily" not in message.body


def test_sign_in_links_are_redacted_from_logs(world, mailoutbox):
    path = request_link(Client(), BRUNO_EMAIL)
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "%s", (path,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "/me/sign-in/<redacted>/"


def test_a_clinician_gives_a_patient_portal_access_with_an_email(world):
    client = Client()
    assert sign_in(client, "dr_ana")
    fields = {
        "record_number": "R-NEW-1",
        "given_name": "Nina",
        "family_name": "Newcomer",
        "date_of_birth": "1985-03-02",
        "time_zone": "America/New_York",
        "preferred_language": "en",
        "diagnoses": ["trd_mdd"],
        "portal_access": "on",
    }
    page = client.get(reverse("patients:new"))
    assert b"Let this patient sign in to see their own results" in page.content
    refused = client.post(reverse("patients:new"), fields)
    assert refused.status_code == 422
    assert b"Add an e-mail address to let this patient sign in." in refused.content
    created = client.post(reverse("patients:new"), {**fields, "email": "nina@example.org"})
    assert created.status_code == 302
    assert Patient.objects.get(record_number="R-NEW-1").portal_access is True


def test_a_new_patient_cannot_sign_in_unless_the_clinic_allows_it(world, mailoutbox):
    nina = Patient.objects.create(
        organization=world.clinic_a,
        record_number="R-NEW-2",
        given_name="Nina",
        family_name="Newcomer",
        date_of_birth=today_in(world.clinic_a.time_zone) - timedelta(days=365 * 30),
        email="nina@example.org",
    )
    assert nina.portal_access is False
    assert request_link(Client(), "nina@example.org") == ""


def test_the_sent_page_names_no_patient_and_nothing_of_theirs(world, mailoutbox):
    Appointment.objects.create(
        organization_id=world.paul.organization_id,
        patient=world.paul,
        kind=SessionKind.BOOSTER,
        starts_at=timezone.now() + timedelta(days=2),
    )
    page = sent_page(Client(), PAUL_EMAIL)
    assert b"Paul" not in page
    assert b"Booster" not in page


def test_signing_in_as_another_patient_logs_the_first_one_out(world, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    path = request_link(Client(), PIA_EMAIL)  # Pia's link, opened in Paul's browser
    assert path
    assert client.post(path).status_code == 302
    logout = AuditEvent.objects.get(action=Action.LOGOUT, patient_id=world.paul.pk)
    assert logout.organization_id == world.paul.organization_id
    page = client.get("/me/").content.decode()
    assert "Pia" in page
    assert "Moreno" not in page
