"""Every write about evaluation requests: receiving one, changing its status, booking it.

Clinical data still enters only through the one door: when a request's PHQ-9 item 9 is
1 or more, or when a clinician books the evaluation, the person is registered through
`lasting.patients.services.create_patient` (evaluation phase) and the request's answers
are stored as their first check-in by `lasting.intake.services.submit_checkin`, which
opens, assigns and notifies the safety alert as for any check-in
(docs/clinical.md#evaluation-requests).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization, Role, User
from lasting.accounts.throttle import Lockout
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import Source
from lasting.evaluations.models import (
    DeclineReason,
    EvaluationRequest,
    RequestStatus,
    StatusChange,
)
from lasting.intake.services import submit_checkin
from lasting.patients.models import Patient
from lasting.patients.services import create_patient
from lasting_core.instruments import InstrumentCode, Score, get_instrument

log = logging.getLogger("lasting.evaluations")

REQUEST_USERNAME = "evaluation-request"
STARTED_SALT = "lasting.evaluations.started"
# A person reading a PHQ-9, a GAD-7 and five questions takes minutes; a bot posts at
# once. A choice: 8 seconds refuses bots and no person.
MIN_FORM_SECONDS = 8
# A form older than this is refused too: its start cannot be replayed for ever.
MAX_FORM_AGE = timedelta(hours=12)
# Requests from one client address, counted from the audit trail (accepted requests and
# refusals alike), as the sign-in throttle counts failures (accounts/throttle.py).
# A choice: a household may send a few; more in an hour is a flood.
REQUESTS_PER_CLIENT = 5
THROTTLE_WINDOW = timedelta(hours=1)
OBJECT_TYPE = EvaluationRequest.__name__


class Refusal(Exception):
    """A submission not taken: a bot's honeypot, too fast, too old, or too many."""

    def __init__(self, why: str, lockout: Lockout | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.lockout = lockout


@dataclass(frozen=True)
class Received:
    request: EvaluationRequest
    created: bool
    item9_positive: bool


def public_actor(organization: Organization, address: str | None, request_id: str) -> Actor:
    return Actor(None, REQUEST_USERNAME, organization.pk, address, request_id)


# Anti-abuse -----------------------------------------------------------------------------


def sign_form_start(at: datetime) -> str:
    """The hidden field that says when the form was served (signed: a bot cannot forge it)."""
    return signing.Signer(salt=STARTED_SALT).sign(str(int(at.timestamp())))


def form_age(started: str, now: datetime) -> timedelta | None:
    """How long ago the form was served; None for a missing or forged value."""
    try:
        seconds = int(signing.Signer(salt=STARTED_SALT).unsign(started))
    except (signing.BadSignature, ValueError):
        return None
    return now - datetime.fromtimestamp(seconds, tz=UTC)


def find_throttle(address: str | None, now: datetime) -> Lockout | None:
    """The lockout in force for a client address: REQUESTS_PER_CLIENT in the window."""
    recent = list(
        AuditEvent.objects.filter(
            username=REQUEST_USERNAME,
            object_type=OBJECT_TYPE,
            address=address,
            at__gt=now - THROTTLE_WINDOW,
        )
        .order_by("-at")
        .values_list("at", flat=True)[:REQUESTS_PER_CLIENT]
    )
    if len(recent) >= REQUESTS_PER_CLIENT:
        return Lockout(recent[-1] + THROTTLE_WINDOW - now)
    return None


def check_submission(
    actor: Actor, organization: Organization, *, honeypot: str, started: str, now: datetime
) -> None:
    """Refuse a flood, a bot's honeypot, a form sent too fast or too late; each refusal
    is audited (and counts towards the flood). Raises Refusal."""
    lockout = find_throttle(actor.address, now)
    why = ""
    if lockout is not None:
        why = "throttled"
    elif honeypot.strip():
        why = "honeypot"
    else:
        age = form_age(started, now)
        if age is None or age > MAX_FORM_AGE:
            why = "stale"
        elif age < timedelta(seconds=MIN_FORM_SECONDS):
            why = "too_fast"
    if why:
        record_event(
            actor,
            Action.CREATE,
            organization_id=organization.pk,
            object_ref=(OBJECT_TYPE, why),
            outcome=Outcome.DENIED,
        )
        raise Refusal(why, lockout)


# Receiving a request -----------------------------------------------------------------------


def score_answers(answers: Mapping[str, Mapping[str, int]]) -> list[Score]:
    """The stored answers scored by the core, PHQ-9 first."""
    scores = []
    for code in (InstrumentCode.PHQ9, InstrumentCode.GAD7):
        if code.value in answers:
            given = answers[code.value]
            instrument = get_instrument(code)
            scores.append(
                instrument.score({item.key: given.get(item.key) for item in instrument.items})
            )
    return scores


def item9_of(answers: Mapping[str, Mapping[str, int]]) -> int | None:
    value = answers.get(InstrumentCode.PHQ9.value, {}).get("q9")
    return int(value) if value is not None else None


def receive_request(
    actor: Actor,
    organization: Organization,
    fields: Mapping[str, Any],
    *,
    honeypot: str,
    started: str,
    now: datetime | None = None,
) -> Received:
    """Take a request from the public page.

    1. A double submit (the same form key) returns the first request.
    2. Refuse floods and bots (`check_submission`), then store it.
    3. PHQ-9 item 9 >= 1: register the person at once and store the answers through the
       one door, which opens the safety alert (notified after the commit).
    4. After the commit: the confirmation e-mail and the staff's notice.
    """
    now = now or timezone.now()
    answers = fields["answers"]
    item9 = item9_of(answers)
    key = str(fields["idempotency_key"])
    # A retry of a stored form is answered as the first was, never refused as a flood.
    stored = EvaluationRequest.objects.filter(
        organization=organization, idempotency_key=key
    ).first()
    if stored is not None and stored.answers != answers:
        # The same form sent again with other answers (Back, changed, sent): a request of
        # its own, so a changed item 9 takes its own path instead of the first answers'.
        digest = hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()[:16]
        key = f"{key[:40]}-{digest}"
        stored = EvaluationRequest.objects.filter(
            organization=organization, idempotency_key=key
        ).first()
    if stored is not None:
        return Received(stored, created=False, item9_positive=(item9 or 0) >= 1)
    check_submission(actor, organization, honeypot=honeypot, started=started, now=now)
    location = fields.get("location")
    try:
        with transaction.atomic():
            request = EvaluationRequest.objects.create(
                organization=organization,
                location=location if isinstance(location, Location) else None,
                language=fields["language"],
                given_name=fields["given_name"].strip(),
                family_name=fields["family_name"].strip(),
                date_of_birth=fields["date_of_birth"],
                email=fields.get("email", ""),
                phone=fields.get("phone", ""),
                reason=fields["reason"].strip(),
                known_diagnoses=list(fields.get("known_diagnoses", [])),
                current_treatment=fields.get("current_treatment", "").strip(),
                answers=answers,
                screening=dict(fields["screening"]),
                idempotency_key=key,
                received_at=now,
            )
            record_event(actor, Action.CREATE, organization_id=organization.pk, obj=request)
            if item9 is not None and item9 >= 1:
                store_as_patient(actor, request)
    except IntegrityError:
        existing = EvaluationRequest.objects.filter(
            organization=organization, idempotency_key=key
        ).first()
        if existing is None:
            raise
        return Received(existing, created=False, item9_positive=(item9 or 0) >= 1)
    schedule_emails(request)
    return Received(request, created=True, item9_positive=(item9 or 0) >= 1)


def store_as_patient(actor: Actor, request: EvaluationRequest) -> Patient:
    """Register the request's person in the evaluation phase (once) and store its answers
    as their first check-in through the one door (once: the key is the request's).

    Call inside a transaction that holds the request.
    """
    patient = request.patient
    if patient is None:
        patient = create_patient(
            actor,
            request.organization,
            # The course starts on the day the request arrived, on the clinic's clock.
            started_on=today_in(request.organization.time_zone, request.received_at),
            record_number=record_number_for(request),
            given_name=request.given_name,
            family_name=request.family_name,
            date_of_birth=request.date_of_birth,
            email=request.email,
            phone=request.phone,
            preferred_language=request.language,
            location=request.location,
            time_zone=(request.location or request.organization).time_zone,
            diagnoses=list(request.known_diagnoses),
        )
        request.patient = patient
        request.save(update_fields=["patient"])
    submit_checkin(
        actor,
        patient,
        score_answers(request.answers),
        source=Source.LINK,
        idempotency_key=checkin_key(request),
        submitted_at=request.received_at,
    )
    return patient


def record_number_for(request: EvaluationRequest) -> str:
    """The record number of a patient registered from a request: it says where they came
    from, and the clinic may change it to its own numbering. Never one the clinic uses
    already (record numbers are unique in any case), or the request would be lost."""
    taken = {
        number.upper()
        for number in Patient.objects.filter(
            organization_id=request.organization_id, record_number__istartswith="REQ-"
        ).values_list("record_number", flat=True)
    }
    number, suffix = f"REQ-{request.pk}", 1
    while number.upper() in taken:
        suffix += 1
        number = f"REQ-{request.pk}-{suffix}"
    return number


def checkin_key(request: EvaluationRequest) -> str:
    return f"evaluation-request:{request.pk}"


# The staff's inbox ----------------------------------------------------------------------


def lock_request_for(membership: Membership, request_id: int) -> EvaluationRequest:
    """The request locked for a change; 404 for another organisation's (no hint it exists)."""
    return get_object_or_404(
        EvaluationRequest.objects.select_for_update(),
        pk=request_id,
        organization_id=membership.organization_id,
    )


def note_change(
    actor: Actor,
    request: EvaluationRequest,
    status: RequestStatus,
    *,
    by: User | None,
    now: datetime,
    reason: str = "",
    note: str = "",
) -> None:
    request.status = status
    request.decline_reason = reason
    request.save(update_fields=["status", "decline_reason"])
    StatusChange.objects.create(
        request=request,
        status=status,
        decline_reason=reason,
        note=note.strip(),
        changed_by=by,
        changed_at=now,
    )
    record_event(
        actor,
        Action.UPDATE,
        patient_id=request.patient_id,
        organization_id=request.organization_id,
        obj=request,
    )


def change_status(
    actor: Actor,
    membership: Membership | None,
    request_id: int,
    status: RequestStatus,
    *,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> EvaluationRequest:
    """Mark a request contacted, or declined with a reason; audited with who and when.

    A booked request keeps its booking (the patient exists); declining needs a reason.
    """
    if not rules.can_handle_evaluation_requests(membership):
        raise PermissionDenied("Your role cannot handle evaluation requests.")
    if status not in {RequestStatus.CONTACTED, RequestStatus.DECLINED}:
        raise ValidationError("Book an evaluation with the booking button.")
    if status == RequestStatus.DECLINED and reason not in DeclineReason.values:
        raise ValidationError("Say why the request is declined.")
    with transaction.atomic():
        request = lock_request_for(membership, request_id)
        if request.status == RequestStatus.BOOKED:
            raise ValidationError("This evaluation is booked already.")
        if request.status != status:
            note_change(
                actor,
                request,
                status,
                by=membership.user,
                now=now or timezone.now(),
                reason=reason if status == RequestStatus.DECLINED else "",
                note=note,
            )
    return request


def book_evaluation(
    actor: Actor, membership: Membership | None, request_id: int, *, now: datetime | None = None
) -> EvaluationRequest:
    """Register the person as a patient in the evaluation phase, with the request's answers
    as their first check-in through the one door; reuse the patient an item 9 created.

    Clinicians and nurses only (it registers a patient with diagnoses and scores). Twice is
    once: the request is locked and the check-in's key is the request's.
    """
    if not rules.can_book_evaluations(membership):
        raise PermissionDenied("Your role cannot register patients.")
    with transaction.atomic():
        request = lock_request_for(membership, request_id)
        if request.status == RequestStatus.BOOKED:
            return request
        store_as_patient(actor, request)
        note_change(
            actor, request, RequestStatus.BOOKED, by=membership.user, now=now or timezone.now()
        )
    return request


# E-mails: nothing about the request in clear text -----------------------------------------


def schedule_emails(request: EvaluationRequest) -> None:
    """After the commit, queue the requester's confirmation and the staff's notice."""
    from lasting.evaluations.tasks import send_request_emails_task

    transaction.on_commit(lambda: send_request_emails_task.enqueue(request.pk), robust=True)


def confirmation_email(language: str) -> tuple[str, str]:
    """Subject and body in the requester's language: that the request arrived, no more.
    No clinic's name, no answer: an inbox others may read learns nothing."""
    with translation.override(language):
        return (
            gettext("We received your request"),
            gettext(
                "Hello,\n\nWe received your request. Someone will contact you soon.\n\n"
                "If you did not send a request, you can ignore this e-mail.\n"
            ),
        )


def staff_notice_email() -> tuple[str, str]:
    link = f"{settings.SITE_URL}{reverse('evaluations:inbox')}"
    return (
        "Lasting: a new evaluation request",
        f"A new evaluation request is waiting.\n\nPlease sign in to Lasting to see it: {link}\n",
    )


def staff_to_notify(organization_id: int) -> list[str]:
    """The front desk (schedulers) first, who make the first contact; else the clinical
    team. A choice: one group is told, not everyone."""
    for roles in ((Role.SCHEDULER,), (Role.CLINICIAN, Role.STAFF)):
        addresses = list(
            Membership.objects.filter(
                organization_id=organization_id,
                role__in=roles,
                is_active=True,
                user__is_active=True,
            )
            .exclude(user__email="")
            .order_by("user_id")
            .values_list("user__email", flat=True)
        )
        if addresses:
            return addresses
    return []


def claim_email(request_id: int, field: str) -> EvaluationRequest | None:
    """Mark one e-mail as sent before sending it: a job run twice sends it once."""
    with transaction.atomic():
        request = EvaluationRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or getattr(request, field) is not None:
            return None
        setattr(request, field, timezone.now())
        request.save(update_fields=[field])
    return request


def send_request_emails(request_id: int) -> int:
    """Send the confirmation (if an e-mail address was given) and the staff's notice,
    each once; return how many were sent. A failure is logged, never with an address."""
    sent = 0
    request = claim_email(request_id, "confirmation_sent_at")
    if request is not None and request.email:
        subject, body = confirmation_email(request.language)
        sent += send_one(request_id, subject, body, [request.email])
    request = claim_email(request_id, "staff_notified_at")
    if request is not None:
        addresses = staff_to_notify(request.organization_id)
        if addresses:
            subject, body = staff_notice_email()
            sent += send_one(request_id, subject, body, addresses)
    return sent


def send_one(request_id: int, subject: str, body: str, to: list[str]) -> int:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # the request is stored and in the inbox; the e-mail is a courtesy
        log.exception("evaluation request %s: e-mail not sent", request_id)
        return 0
    return 1
