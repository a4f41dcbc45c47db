"""A signed-in patient's session, kept apart from staff authentication.

The patient's id and organisation sit under their own session keys; Django's
`request.user` stays anonymous. A staff sign-in drops these keys (see `receivers.py`) and a
patient sign-in signs staff out first, so one session never carries both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.portal.services import email_digest, patient_actor

SESSION_PATIENT = "portal_patient_id"
SESSION_ORGANIZATION = "portal_organization_id"
SESSION_SIGNED_IN_AT = "portal_signed_in_at"
SESSION_LAST_SEEN = "portal_last_seen"
# The keyed hash of the address the sign-in link went to: a changed address ends the
# session (the link proved control of the old one only).
SESSION_EMAIL = "portal_email_digest"
SESSION_KEYS = (
    SESSION_PATIENT,
    SESSION_ORGANIZATION,
    SESSION_SIGNED_IN_AT,
    SESSION_LAST_SEEN,
    SESSION_EMAIL,
)
IDLE_SECONDS = 30 * 60
# Saving the session is a database write; a minute's resolution on a 30-minute limit
# spares it on most requests.
LAST_SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class PatientSession:
    """Who the session signs in, or why it no longer does."""

    patient: Patient | None
    timed_out: bool = False
    # Whose session ended in this request (never signed in by it).
    ended_for: Patient | None = None


def patient_session_actor(request: HttpRequest, patient: Patient) -> Actor:
    """The audit trail's name for the patient acting in this request."""
    return patient_actor(
        patient,
        address=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )


def start_patient_session(request: HttpRequest, patient: Patient) -> None:
    """Sign the patient in on a fresh session key (no staff sign-in carried over)."""
    if request.user.is_authenticated:
        logout(request)
    previous = request.session.get(SESSION_PATIENT)
    if previous is not None and previous != patient.pk:
        # Another patient was signed in on this browser: their session ends here.
        record_event(
            patient_session_actor(request, patient),
            Action.LOGOUT,
            patient_id=int(previous),
            organization_id=request.session.get(SESSION_ORGANIZATION),
        )
        drop_patient_keys(request)
    request.session.cycle_key()
    rotate_token(request)
    now = time.time()
    request.session[SESSION_PATIENT] = patient.pk
    request.session[SESSION_ORGANIZATION] = patient.organization_id
    request.session[SESSION_SIGNED_IN_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session[SESSION_EMAIL] = email_digest(patient.email)


def end_patient_session(request: HttpRequest) -> None:
    request.session.flush()


def drop_patient_keys(request: HttpRequest) -> None:
    for key in SESSION_KEYS:
        request.session.pop(key, None)


def find_session_patient(request: HttpRequest) -> PatientSession:
    """The signed-in patient, after the idle (30 minutes) and absolute limits.

    Staff are never patients: a session signed in to the clinic has no patient. The
    patient is read by id *and* organisation, and only while they keep portal access.
    """
    if request.user.is_authenticated:
        return PatientSession(None)
    patient_id = request.session.get(SESSION_PATIENT)
    organization_id = request.session.get(SESSION_ORGANIZATION)
    if patient_id is None or organization_id is None:
        return PatientSession(None)
    now = time.time()
    last_seen = float(request.session.get(SESSION_LAST_SEEN, 0))
    signed_in_at = float(request.session.get(SESSION_SIGNED_IN_AT, 0))
    patient = (
        Patient.objects.select_related("organization")
        .filter(pk=patient_id, organization_id=organization_id, portal_access=True)
        .first()
    )
    idle = now - last_seen > IDLE_SECONDS
    too_old = now - signed_in_at > settings.SESSION_COOKIE_AGE
    # The address changed since the link was sent (it proved control of the old one only).
    moved = patient is not None and request.session.get(SESSION_EMAIL) != email_digest(
        patient.email
    )
    if patient is None or idle or too_old or moved:
        if patient is not None:
            record_event(
                patient_session_actor(request, patient), Action.LOGOUT, patient_id=patient.pk
            )
        end_patient_session(request)
        # The patient whose session just ended, for one use only: a form they sent as it
        # ended may carry a safety signal that must still reach the care team.
        return PatientSession(None, timed_out=patient is not None, ended_for=patient)
    if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
        request.session[SESSION_LAST_SEEN] = now
    return PatientSession(patient)
