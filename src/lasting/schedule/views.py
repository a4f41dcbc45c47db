"""The day's schedule per location, and booking, moving and cancelling appointments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.forms import add_service_errors
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Location, User
from lasting.accounts.queries import list_clinicians
from lasting.accounts.tenancy import public_page
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.queries import get_patient_for
from lasting.plans.services import close_proposals_for
from lasting.schedule.feeds import create_feed, find_live_feed, render_feed, revoke_feed
from lasting.schedule.forms import AppointmentForm, CancelForm, PriceListForm
from lasting.schedule.models import CalendarFeed, Price
from lasting.schedule.prices import PRICED_ROUTES, price_keys, save_prices
from lasting.schedule.queries import build_board, build_clinician_day, get_appointment_for
from lasting.treatment.appointments import (
    book_appointment,
    cancel_appointment,
    move_appointment,
    record_floor_status,
)
from lasting.treatment.models import Appointment, AppointmentStatus, Route, SessionKind


def location_time(appointment: Appointment) -> datetime:
    """When the appointment starts on its location's clock (else the active zone's)."""
    if appointment.location is not None:
        return appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone))
    return timezone.localtime(appointment.starts_at)


def describe(appointment: Appointment) -> str:
    """ "Booster, Thu Dec 3, 10:00" on the location's clock."""
    when = location_time(appointment)
    return f"{appointment.get_kind_display()}, {when:%a %b} {when.day}, {when:%H:%M}"


def on_location_clock(entered: datetime, location: Location | None) -> datetime:
    """Read a time typed into the form on the location's own clock (a clinic may have
    sites in more than one time zone); the form read it on the organisation's."""
    if location is None:
        return entered
    typed = timezone.localtime(entered).replace(tzinfo=None)
    return typed.replace(tzinfo=ZoneInfo(location.time_zone))


def board_url(appointment: Appointment) -> str:
    day = location_time(appointment).date()
    location = f"location={appointment.location_id}&" if appointment.location_id else ""
    return f"{reverse('schedule:day')}?{location}day={day.isoformat()}"


@login_required
def day(request: ClinicRequest) -> HttpResponse:
    """One location's day, chair by chair; the board refreshes itself every 30 seconds."""
    membership = request.membership
    if not rules.can_schedule(membership):
        raise PermissionDenied("Your role has no schedule.")
    organization = membership.organization
    locations = list(Location.objects.filter(organization=organization, is_active=True))
    if not locations:
        return render(request, "schedule/no_location.html", {"organization": organization})
    chosen = request.GET.get("location", "")
    location = next((loc for loc in locations if str(loc.pk) == chosen), locations[0])
    timezone.activate(ZoneInfo(location.time_zone))  # the board reads the site's own clock
    try:
        shown = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        shown = today_in(location.time_zone)
    board = build_board(
        location, shown, timezone.now(), clinical=rules.can_log_sessions(membership)
    )
    clinicians = list(list_clinicians(organization.pk))
    chosen_clinician = next(
        (u for u in clinicians if str(u.pk) == request.GET.get("clinician", "")), None
    )
    clinician_day = (
        build_clinician_day(
            organization.pk,
            chosen_clinician.pk,
            chosen_clinician.display_name,
            shown,
            organization.time_zone,
            timezone.now(),
            clinical=rules.can_log_sessions(membership),
        )
        if chosen_clinician is not None
        else None
    )
    record_event(Actor.from_request(request), Action.SEARCH, organization_id=organization.pk)
    context = {
        "board": board,
        "clinicians": clinicians,
        "clinician_day": clinician_day,
        "locations": locations,
        "previous_day": shown - timedelta(days=1),
        "next_day": shown + timedelta(days=1),
        "today": today_in(location.time_zone),
        "now": timezone.now(),
    }
    template = "schedule/board.html" if request.htmx else "schedule/day.html"
    return render(request, template, context)


@login_required
def new_appointment(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Book an appointment for a patient; a booster booked by hand closes open proposals."""
    membership = request.membership
    if not rules.can_schedule(membership):
        raise PermissionDenied("Your role cannot book appointments.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    form = AppointmentForm(
        request.POST or None,
        membership=membership,
        initial={"location": patient.location_id, "clinician": patient.assigned_clinician_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                appointment = book_appointment(
                    actor,
                    membership,
                    patient,
                    kind=SessionKind(data["kind"]),
                    starts_at=on_location_clock(data["starts_at"], data["location"]),
                    duration_minutes=data["duration_minutes"],
                    location=data["location"],
                    clinician_id=data["clinician"].pk if data["clinician"] else None,
                    route=Route(data["route"]) if data["route"] else "",
                )
                if appointment.kind == SessionKind.BOOSTER:
                    close_proposals_for(
                        actor, patient.pk, note="booked by hand", appointment=appointment
                    )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Booked: {patient.full_name}, {describe(appointment)}.")
            return redirect(board_url(appointment))
    return render(
        request,
        "schedule/appointment_form.html",
        {"form": form, "patient": patient, "appointment": None},
        status=422 if form.errors else 200,
    )


@login_required
def move(request: ClinicRequest, appointment_id: int) -> HttpResponse:
    membership = request.membership
    appointment = get_appointment_for(membership, appointment_id)
    assert membership is not None  # get_appointment_for refuses anyone else
    form = AppointmentForm(
        request.POST or None,
        membership=membership,
        moving=True,
        initial={
            "starts_at": location_time(appointment).replace(tzinfo=None),
            "duration_minutes": appointment.duration_minutes,
            "location": appointment.location_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = move_appointment(
                Actor.from_request(request),
                membership,
                appointment,
                starts_at=on_location_clock(data["starts_at"], data["location"]),
                duration_minutes=data["duration_minutes"],
                location=data["location"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Moved: {appointment.patient.full_name}, {describe(moved)}.")
            return redirect(board_url(moved))
    return render(
        request,
        "schedule/appointment_form.html",
        {"form": form, "patient": appointment.patient, "appointment": appointment},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def cancel(request: ClinicRequest, appointment_id: int) -> HttpResponse:
    membership = request.membership
    appointment = get_appointment_for(membership, appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the appointment is cancelled.")
        return redirect(board_url(appointment))
    try:
        cancel_appointment(
            Actor.from_request(request), membership, appointment, form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Cancelled: {appointment.patient.full_name}, {describe(appointment)}."
        )
    return redirect(board_url(appointment))


@login_required
@require_POST
def status(request: ClinicRequest, appointment_id: int) -> HttpResponse:
    """Arrived, dosed, discharged or did not attend, from the board."""
    membership = request.membership
    appointment = get_appointment_for(membership, appointment_id)
    try:
        chosen = AppointmentStatus(request.POST.get("status", ""))
        record_floor_status(Actor.from_request(request), membership, appointment, chosen)
    except ValueError:
        messages.error(request, "Unknown step.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(board_url(appointment))


@public_page
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar file behind a feed's secret address (no sign-in: calendar apps
    fetch it); a revoked or unknown address answers 404."""
    found = find_live_feed(token)
    if found is None:
        raise Http404("No such calendar.")
    record_event(
        Actor.system("calendar feed", found.organization_id),
        Action.READ,
        organization_id=found.organization_id,
        obj=found,
    )
    response = HttpResponse(render_feed(found, timezone.now()), content_type="text/calendar")
    response["Content-Disposition"] = 'inline; filename="lasting.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def feeds(request: ClinicRequest) -> HttpResponse:
    """Create and revoke calendar feeds: my own (clinicians), a location's, a patient's."""
    membership = request.membership
    if not rules.can_schedule(membership):
        raise PermissionDenied("Your role has no schedule.")
    actor = Actor.from_request(request)
    organization = membership.organization
    created_url = ""
    if request.method == "POST":
        scope = request.POST.get("scope", "")
        if scope == "revoke":
            target = get_object_or_404(
                CalendarFeed, pk=request.POST.get("feed"), organization=organization
            )
            revoke_feed(actor, membership, target)
            messages.success(request, "Feed revoked: its address no longer works.")
            return redirect("schedule:feeds")
        if scope == "clinician":
            assert isinstance(request.user, User)
            _, created_url = create_feed(actor, membership, clinician=request.user)
        elif scope == "location":
            location = get_object_or_404(
                Location, pk=request.POST.get("location"), organization=organization
            )
            _, created_url = create_feed(actor, membership, location=location)
        elif scope == "patient":
            patient = get_patient_for(membership, int(request.POST.get("patient", "0") or 0))
            _, created_url = create_feed(actor, membership, patient=patient)
        else:
            raise Http404("No such feed kind.")
    live = (
        CalendarFeed.objects.filter(organization=organization, revoked_at=None)
        .select_related("clinician", "location", "patient")
        .order_by("-created_at")
    )
    return render(
        request,
        "schedule/feeds.html",
        {
            "feeds": live,
            "created_url": created_url,
            "locations": Location.objects.filter(organization=organization, is_active=True),
            "patient_id": request.GET.get("patient", ""),
        },
    )


@login_required
def prices(request: ClinicRequest) -> HttpResponse:
    """The clinic admin's price list: each kind of session by route, per location."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins set prices.")
    organization = membership.organization
    locations = list(Location.objects.filter(organization=organization))
    keys = price_keys(locations)
    stored = {
        (p.location_id, p.route, p.kind): p.amount
        for p in Price.objects.filter(organization=organization)
    }
    form = PriceListForm(request.POST or None, keys=keys, initial=stored)
    if request.method == "POST" and form.is_valid():
        changed = save_prices(Actor.from_request(request), membership, form.amounts())
        messages.success(request, f"Prices saved ({changed} changed).")
        return redirect("schedule:prices")
    rows = [
        (
            location,
            [
                (
                    Route(route).label,
                    [
                        form[PriceListForm.field_name((location.pk, route, kind))]
                        for kind in SessionKind.values
                    ],
                )
                for route in PRICED_ROUTES
            ],
        )
        for location in locations
    ]
    return render(
        request,
        "schedule/prices.html",
        {"rows": rows, "kinds": SessionKind.labels, "form": form},
        status=422 if request.method == "POST" else 200,
    )
