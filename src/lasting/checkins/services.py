"""Issue check-in links and record check-ins: atomic, idempotent, single-use."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckIn, CheckInLink, Response, ScheduledCheckIn
from lasting.patients.models import Patient
from lasting_core.instruments import InstrumentCode, Score

LINK_SALT = "lasting.checkins.link"
SCHEDULED_LINK_SALT = "lasting.checkins.scheduled-link"


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class LinkError(Exception):
    """Why a link cannot take a check-in; `link` is set when the token was genuine."""

    def __init__(self, problem: LinkProblem, link: CheckInLink | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.link = link


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different body."""


@dataclass(frozen=True)
class IssuedLink:
    link: CheckInLink
    url: str


def issue_link(
    actor: Actor,
    patient: Patient,
    instruments: Sequence[InstrumentCode],
    *,
    valid_days: int | None = None,
    now: datetime | None = None,
) -> IssuedLink:
    """Create a link to a check-in form; the URL is shown once and never stored."""
    if not instruments:
        raise ValueError("A check-in link needs at least one instrument.")
    now = now or timezone.now()
    days = valid_days or settings.CHECKIN_LINK_DAYS
    token = secrets.token_urlsafe(24)
    link = CheckInLink.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        token_hash=hash_token(token),
        instruments=[InstrumentCode(code).value for code in instruments],
        created_by_id=actor.user_id,
        expires_at=now + timedelta(days=days),
    )
    record_event(
        actor,
        Action.CREATE,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=link,
    )
    return IssuedLink(link=link, url=link_url(token))


def link_url(token: str) -> str:
    signed = signing.TimestampSigner(salt=LINK_SALT).sign(token)
    return settings.SITE_URL + reverse("portal:checkin", args=[signed])


def scheduled_token(scheduled: ScheduledCheckIn) -> str:
    """The link token of a scheduled check-in, derived rather than stored: a reminder
    sent again after a failure carries a working link, and the database alone (which
    keeps only the token's hash) still opens nothing."""
    message = f"{scheduled.pk}:{scheduled.patient_id}:{scheduled.key}"
    return salted_hmac(SCHEDULED_LINK_SALT, message, algorithm="sha256").hexdigest()


def link_for_scheduled(actor: Actor, scheduled: ScheduledCheckIn) -> IssuedLink:
    """The scheduled check-in's link, created the first time; it expires with the window."""
    token = scheduled_token(scheduled)
    with transaction.atomic():
        locked = ScheduledCheckIn.objects.select_for_update().get(pk=scheduled.pk)
        link = locked.link
        if link is None:
            link = CheckInLink.objects.create(
                organization_id=locked.organization_id,
                patient_id=locked.patient_id,
                token_hash=hash_token(token),
                instruments=list(locked.instruments),
                created_by_id=actor.user_id,
                expires_at=locked.expires_at,
            )
            locked.link = link
            locked.save(update_fields=["link"])
            record_event(
                actor,
                Action.CREATE,
                patient_id=locked.patient_id,
                organization_id=locked.organization_id,
                obj=link,
            )
    scheduled.link = link
    return IssuedLink(link=link, url=link_url(token))


def open_link(
    signed_token: str, *, now: datetime | None = None, allow_used: bool = False
) -> CheckInLink:
    """Return the link a signed token names, or raise LinkError saying why it cannot be used."""
    now = now or timezone.now()
    try:
        # The signature proves the token came from Lasting; expiry is the link's own
        # expires_at, so a link issued with a longer life is not cut short here.
        token = signing.TimestampSigner(salt=LINK_SALT).unsign(signed_token)
    except signing.BadSignature as bad:
        raise LinkError(LinkProblem.INVALID) from bad
    link = (
        CheckInLink.objects.select_related("patient", "organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        raise LinkError(LinkProblem.INVALID)
    if link.used_at is not None and not allow_used:
        raise LinkError(LinkProblem.USED, link)
    if link.expires_at <= now:
        raise LinkError(LinkProblem.EXPIRED, link)
    return link


@dataclass(frozen=True)
class RecordedCheckIn:
    checkin: CheckIn
    created: bool


def response_from_score(checkin: CheckIn, score: Score) -> Response:
    return Response(
        organization_id=checkin.organization_id,
        checkin=checkin,
        patient_id=checkin.patient_id,
        observed_at=checkin.submitted_at,
        **response_fields(score),
    )


def response_fields(score: Score) -> dict[str, object]:
    """The stored fields of a scored instrument: every answer, total, band, version, flags."""
    return {
        "instrument": str(score.instrument),
        "instrument_version": score.version,
        "answers": dict(score.answers),
        "total": score.total,
        "band": score.band.code if score.band else "",
        "band_label": score.band.label if score.band else "",
        "valid": score.valid,
        "prorated": score.prorated,
        "flags": sorted(str(flag) for flag in score.flags),
    }
