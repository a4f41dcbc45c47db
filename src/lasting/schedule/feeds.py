"""Create, revoke and render calendar feeds (RFC 5545 through the icalendar library)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Location, Membership, Role, User
from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.schedule.models import CalendarFeed, FeedScope
from lasting.treatment.models import HOLDS_A_CHAIR, Appointment, AppointmentStatus

# What a feed shows: the last month (so a calendar keeps recent history) to half a year on.
FEED_PAST = timedelta(days=31)
FEED_AHEAD = timedelta(days=183)
EVENT_SUMMARY = "Lasting appointment"


def create_feed(
    actor: Actor,
    membership: Membership | None,
    *,
    clinician: User | None = None,
    location: Location | None = None,
    patient: Patient | None = None,
) -> tuple[CalendarFeed, str]:
    """Create a feed for exactly one of a clinician (their own only), a location or a
    patient of the member's organisation; return it and its address (shown once)."""
    if not rules.can_schedule(membership):
        raise PermissionDenied("Your role has no schedule.")
    organization_id = membership.organization_id
    if clinician is not None:
        scope = FeedScope.CLINICIAN
        if clinician.pk != actor.user_id or membership.role != Role.CLINICIAN:
            raise PermissionDenied("Clinicians create a feed of their own appointments only.")
    elif location is not None:
        scope = FeedScope.LOCATION
        if location.organization_id != organization_id:
            raise PermissionDenied("That location belongs to another organisation.")
    elif patient is not None:
        scope = FeedScope.PATIENT
        if patient.organization_id != organization_id:
            raise PermissionDenied("That patient belongs to another organisation.")
    else:
        raise ValueError("a feed needs a clinician, a location or a patient")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            organization_id=organization_id,
            scope=scope,
            clinician=clinician,
            location=location,
            patient=patient,
            token_hash=hash_token(token),
            created_by_id=actor.user_id,
            created_at=timezone.now(),
        )
        record_event(
            actor,
            Action.CREATE,
            organization_id=organization_id,
            patient_id=patient.pk if patient else None,
            obj=feed,
        )
    return feed, feed_url(token)


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("schedule:feed", args=[token])


def revoke_feed(actor: Actor, membership: Membership | None, feed: CalendarFeed) -> None:
    """Revoke a feed: its address answers 404 from now on. Audited."""
    if not rules.can_schedule(membership) or membership.organization_id != feed.organization_id:
        raise PermissionDenied("Your role cannot revoke this feed.")
    with transaction.atomic():
        if CalendarFeed.objects.filter(pk=feed.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        ):
            record_event(actor, Action.UPDATE, organization_id=feed.organization_id, obj=feed)


def find_live_feed(token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(token_hash=hash_token(token), revoked_at=None).first()


def render_feed(feed: CalendarFeed, now: datetime) -> bytes:
    """The feed's appointments as an iCalendar file; every event says only "Lasting
    appointment", with its start, end and a stable id."""
    appointments = Appointment.objects.filter(
        organization_id=feed.organization_id,
        status__in=[*HOLDS_A_CHAIR, AppointmentStatus.COMPLETED],
        starts_at__gte=now - FEED_PAST,
        starts_at__lt=now + FEED_AHEAD,
    ).order_by("starts_at")
    target = {
        FeedScope.CLINICIAN: {"clinician_id": feed.clinician_id},
        FeedScope.LOCATION: {"location_id": feed.location_id},
        FeedScope.PATIENT: {"patient_id": feed.patient_id},
    }[FeedScope(feed.scope)]
    appointments = appointments.filter(**target)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Lasting//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", EVENT_SUMMARY + "s")
    host = settings.SITE_URL.split("://")[-1].split("/")[0].split(":")[0] or "lasting"
    for appointment in appointments:
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", EVENT_SUMMARY)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
