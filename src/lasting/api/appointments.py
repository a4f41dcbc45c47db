"""Appointments: the front desk and the clinical team read and book them
(`lasting.treatment.appointments`, which checks the location's chairs)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from lasting.accounts import rules
from lasting.api.access import audit_list, audit_read, get_or_404, location_in, require
from lasting.api.auth import caller
from lasting.api.idempotency import IdempotencyKeyHeader, run_once
from lasting.api.paging import DEFAULT_LIMIT, paginate
from lasting.api.problems import Problem
from lasting.api.schemas import AppointmentIn, AppointmentOut, AppointmentPage, PathId, RowId
from lasting.audit.models import Action
from lasting.patients.queries import get_patient_for, list_patients_for
from lasting.treatment.appointments import book_appointment
from lasting.treatment.models import Appointment, Route, SessionKind

router = Router(tags=["appointments"])


def appointments_for(request: HttpRequest) -> QuerySet[Appointment]:
    membership, _actor = caller(request)
    return Appointment.objects.filter(patient__in=list_patients_for(membership))


@router.get("/appointments", response=AppointmentPage, url_name="appointments")
def list_appointments(
    request: HttpRequest,
    patient_id: RowId | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AppointmentPage:
    """Appointments by start time, optionally of one patient."""
    membership, actor = caller(request)
    require(rules.can_schedule(membership), actor, Action.READ, ("Appointment", "list"))
    rows = appointments_for(request)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    page = paginate(request, rows, "starts_at", cursor=cursor, limit=limit)
    audit_list(actor, [a.patient_id for a in page.rows], "api:appointments")
    return AppointmentPage(items=page.rows, next=page.next)  # type: ignore[arg-type]


@router.get("/appointments/{appointment_id}", response=AppointmentOut, url_name="appointment")
def read_appointment(request: HttpRequest, appointment_id: PathId) -> Appointment:
    membership, actor = caller(request)
    require(rules.can_schedule(membership), actor, Action.READ, ("Appointment", appointment_id))
    appointment = get_or_404(appointments_for(request), appointment_id, actor)
    audit_read(actor, appointment, appointment.patient_id, appointment.organization_id)
    return appointment


def choice(value: str, choices: list[str], field: str) -> str:
    if value not in choices:
        raise Problem(
            422,
            f"Unknown {field}.",
            [{"loc": ["body", field], "msg": f"one of {', '.join(choices)}"}],
        )
    return value


@router.post("/appointments", response={201: AppointmentOut}, url_name="appointment_create")
def create_appointment(
    request: HttpRequest, payload: AppointmentIn, idempotency_key: IdempotencyKeyHeader = None
) -> Any:
    """Book an appointment; a location without a free chair answers 422."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        require(rules.can_schedule(membership), actor, Action.CREATE, ("Appointment", "new"))
        patient = get_patient_for(membership, payload.patient_id, actor=actor)
        location = location_in(membership, payload.location_id)
        appointment = book_appointment(
            actor,
            membership,
            patient,
            kind=SessionKind(choice(payload.kind, SessionKind.values, "kind")),
            starts_at=payload.starts_at,
            duration_minutes=payload.duration_minutes,
            location=location,
            route=choice(payload.route, ["", *Route.values], "route"),
        )
        return 201, AppointmentOut.from_orm(appointment).model_dump(mode="json")

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )
