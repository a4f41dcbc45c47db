"""Patients' sign-in by an e-mailed link: request it (throttled), send it, use it once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.portal.models import SignInRequest

log = logging.getLogger("lasting.portal")

SIGN_IN_SALT = "lasting.portal.sign-in"
SIGN_IN_TOKEN_SALT = "lasting.portal.sign-in-token"
EMAIL_DIGEST_SALT = "lasting.portal.email"
LINK_LIFETIME = timedelta(minutes=15)
# A sign-in link costs an e-mail; these stop anyone using the form to flood an inbox or
# to try many addresses. Both count requests for unknown addresses too.
THROTTLE_WINDOW = timedelta(hours=1)
REQUESTS_PER_EMAIL = 5
REQUESTS_PER_CLIENT = 20
# Requests older than this are deleted: the audit trail keeps the sign-ins themselves.
KEEP_REQUESTS = timedelta(days=7)
SIGN_IN_USERNAME = "patient-sign-in"


class SignInProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class SignInLinkError(Exception):
    """Why a sign-in link cannot be used; `patient` is set when the link was genuine."""

    def __init__(self, problem: SignInProblem, patient: Patient | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.patient = patient


@dataclass(frozen=True)
class Throttled:
    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))


def patient_actor(patient: Patient, *, address: str | None, request_id: str) -> Actor:
    """The audit trail's name for a patient acting on their own record."""
    return Actor(
        user_id=None,
        username=f"patient:{patient.pk}",
        organization_id=patient.organization_id,
        address=address,
        request_id=request_id,
    )


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def email_digest(email: str) -> str:
    """A keyed hash of the address: the same for every spelling of its case."""
    return salted_hmac(EMAIL_DIGEST_SALT, normalise_email(email)).hexdigest()


def find_throttle(digest: str, client: str | None, now: datetime) -> Throttled | None:
    """The wait before another request for this address, or from this client, is taken."""
    since = now - THROTTLE_WINDOW
    recent = SignInRequest.objects.filter(requested_at__gt=since)
    counted = [(recent.filter(email_digest=digest), REQUESTS_PER_EMAIL)]
    if client:
        counted.append((recent.filter(requested_from=client), REQUESTS_PER_CLIENT))
    for rows, limit in counted:
        times = list(rows.order_by("-requested_at").values_list("requested_at", flat=True)[:limit])
        if len(times) >= limit:
            return Throttled(times[-1] + THROTTLE_WINDOW - now)
    return None


def request_sign_in(
    email: str, *, client: str | None, request_id: str, now: datetime | None = None
) -> Throttled | None:
    """Send a sign-in link when exactly one patient who may sign in has this address.

    1. Past the throttle, refuse (return how long to wait); nothing is stored or sent.
    2. Record the request, for a registered address or not.
    3. With exactly one patient with portal access at this address (case-insensitive),
       the request names the patient and gets the hash of its token; a background job
       e-mails the signed link in the patient's language. Any other case sends nothing.

    The caller answers the same whether or not a link was sent, and the request does the
    same work either way (one insert, one update, one job queued): the e-mail and its
    audit entry happen in the job, so the response time does not tell who is a patient.
    """
    now = now or timezone.now()
    digest = email_digest(email)
    anonymous = Actor(None, SIGN_IN_USERNAME, None, client, request_id)
    throttled = find_throttle(digest, client, now)
    if throttled is not None:
        record_event(anonymous, Action.LOGIN_FAILED, outcome=Outcome.DENIED)
        return throttled
    matches = list(
        Patient.objects.filter(email__iexact=normalise_email(email), portal_access=True)[:2]
    )
    patient = matches[0] if len(matches) == 1 else None
    with transaction.atomic():
        SignInRequest.objects.filter(requested_at__lt=now - KEEP_REQUESTS).delete()
        row = SignInRequest.objects.create(
            organization_id=patient.organization_id if patient else None,
            patient=patient,
            email_digest=digest,
            requested_from=client,
            requested_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        row.token_hash = hash_token(sign_in_token(row))
        row.save(update_fields=["token_hash"])
    from lasting.portal.tasks import send_sign_in_email_task  # (the tasks import this module)

    send_sign_in_email_task.enqueue(row.pk)
    return None


def sign_in_token(row: SignInRequest) -> str:
    """The link token of a request, derived rather than stored: the job that e-mails it
    recomputes it, and the database alone (which keeps only its hash) opens nothing."""
    message = f"{row.pk}:{row.email_digest}:{row.requested_at.isoformat()}"
    return salted_hmac(SIGN_IN_TOKEN_SALT, message, algorithm="sha256").hexdigest()


def email_sign_in_link(request_id: int) -> bool:
    """E-mail the link of a sign-in request, once; nothing for an unregistered address."""
    with transaction.atomic():
        row = (
            SignInRequest.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(pk=request_id, emailed_at=None)
            .first()
        )
        if row is None or row.patient is None:
            return False
        if row.expires_at is not None and row.expires_at <= timezone.now():
            return False  # the queue was too slow: a dead link helps nobody; they ask again
        row.emailed_at = timezone.now()
        row.save(update_fields=["emailed_at"])
        anonymous = Actor(None, SIGN_IN_USERNAME, None, row.requested_from, "")
        record_event(
            anonymous,
            Action.CREATE,
            patient_id=row.patient_id,
            organization_id=row.organization_id,
            obj=row,
        )
    return send_sign_in_email(row.patient, sign_in_token(row), row)


def sign_in_url(token: str) -> str:
    signed = signing.TimestampSigner(salt=SIGN_IN_SALT).sign(token)
    return settings.SITE_URL + reverse("portal:sign_in_link", args=[signed])


def sign_in_email(patient: Patient, url: str) -> tuple[str, str]:
    """Subject and body in the patient's language, with nothing clinical in them.

    An e-mail can be read over a shoulder or on a lock screen, so neither the clinic's
    name (which may say "ketamine") nor any word about treatment appears.
    """
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    with translation.override(patient.preferred_language):
        subject = gettext("Your sign-in link")
        body = "\n\n".join(
            [
                gettext("Here is your sign-in link."),
                gettext("Open it to sign in. It works once, for the next %(minutes)d minutes:")
                % {"minutes": minutes},
                url,
                gettext("If you did not ask for this link, you can ignore this e-mail."),
            ]
        )
    return subject, body + "\n"


def send_sign_in_email(patient: Patient, token: str, row: SignInRequest) -> bool:
    """E-mail the link; on a transport failure log (no address, no name) and go on."""
    subject, body = sign_in_email(patient, sign_in_url(token))
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [patient.email])
    except Exception:  # the page answers the same; the patient can ask again
        log.exception("sign-in request %s: e-mail not sent", row.pk)
        return False
    return True


def find_sign_in_request(signed_token: str, now: datetime) -> SignInRequest:
    """The request a signed token names, if it may still sign its patient in."""
    try:
        token = signing.TimestampSigner(salt=SIGN_IN_SALT).unsign(signed_token)
    except signing.BadSignature as bad:
        raise SignInLinkError(SignInProblem.INVALID) from bad
    row = (
        SignInRequest.objects.select_related("patient", "patient__organization")
        .filter(token_hash=hash_token(token), patient__isnull=False)
        .first()
    )
    if row is None or row.patient is None:
        raise SignInLinkError(SignInProblem.INVALID)
    patient = row.patient
    # Access withdrawn, or the address changed since the link was sent: the link no
    # longer names someone who may sign in with it.
    if not patient.portal_access or email_digest(patient.email) != row.email_digest:
        raise SignInLinkError(SignInProblem.INVALID)
    if row.used_at is not None:
        raise SignInLinkError(SignInProblem.USED, patient)
    if row.expires_at is None or row.expires_at <= now:
        raise SignInLinkError(SignInProblem.EXPIRED, patient)
    return row


def check_sign_in_link(signed_token: str, *, now: datetime | None = None) -> Patient:
    """The patient a sign-in link would sign in, without using it up."""
    row = find_sign_in_request(signed_token, now or timezone.now())
    assert row.patient is not None
    return row.patient


def use_sign_in_link(
    signed_token: str, *, client: str | None, request_id: str, now: datetime | None = None
) -> Patient:
    """Use a sign-in link up and return its patient; audit the sign-in either way."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            row = find_sign_in_request(signed_token, now)
            # Lock, then check again: of two requests with one link, one signs in.
            locked = SignInRequest.objects.select_for_update().get(pk=row.pk)
            if locked.used_at is not None:
                raise SignInLinkError(SignInProblem.USED, row.patient)
            locked.used_at = now
            locked.save(update_fields=["used_at"])
            patient = row.patient
            assert patient is not None
            record_event(
                patient_actor(patient, address=client, request_id=request_id),
                Action.LOGIN,
                patient_id=patient.pk,
                obj=locked,
            )
            return patient
    except SignInLinkError as error:
        failed = error.patient
        record_event(
            patient_actor(failed, address=client, request_id=request_id)
            if failed
            else Actor(None, SIGN_IN_USERNAME, None, client, request_id),
            Action.LOGIN_FAILED,
            patient_id=failed.pk if failed else None,
            outcome=Outcome.FAILURE,
        )
        raise
