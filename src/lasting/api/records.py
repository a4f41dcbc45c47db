"""Check-ins and treatment sessions: read by the clinical team, written through the one
door (`lasting.intake.services`), each POST once per `Idempotency-Key`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from lasting.accounts import rules
from lasting.api.access import audit_list, audit_read, get_or_404, require
from lasting.api.auth import caller
from lasting.api.idempotency import IdempotencyKeyHeader, run_once
from lasting.api.paging import DEFAULT_LIMIT, paginate
from lasting.api.problems import Problem
from lasting.api.schemas import (
    CheckInIn,
    CheckInOut,
    CheckInPage,
    MonitoringFormOut,
    PathId,
    SessionIn,
    SessionOut,
    SessionPage,
)
from lasting.audit.models import Action
from lasting.checkins.models import CheckIn, Source
from lasting.intake.services import log_session, report_unstored_checkin, submit_checkin
from lasting.patients.queries import get_patient_for, list_patients_for
from lasting.treatment.models import TreatmentSession
from lasting_core.instruments import InstrumentCode, Score, ScoringError
from lasting_core.instruments.phq9 import ITEM9
from lasting_core.instruments.registry import score

router = Router(tags=["clinical record"])


def checkins_for(request: HttpRequest) -> QuerySet[CheckIn]:
    membership, _actor = caller(request)
    return CheckIn.objects.filter(patient__in=list_patients_for(membership)).prefetch_related(
        "responses"
    )


@router.get("/patients/{patient_id}/checkins", response=CheckInPage, url_name="checkins")
def list_checkins(
    request: HttpRequest, patient_id: PathId, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> CheckInPage:
    """The patient's check-ins, newest first, each with its scored responses."""
    membership, actor = caller(request)
    require(rules.can_view_clinical_record(membership), actor, Action.READ, ("CheckIn", patient_id))
    patient = get_patient_for(membership, patient_id, actor=actor)
    rows = checkins_for(request).filter(patient=patient)
    page = paginate(request, rows, "submitted_at", cursor=cursor, limit=limit, descending=True)
    audit_list(actor, [patient.pk], "api:checkins")
    return CheckInPage(items=page.rows, next=page.next)  # type: ignore[arg-type]


@router.get("/checkins/{checkin_id}", response=CheckInOut, url_name="checkin")
def read_checkin(request: HttpRequest, checkin_id: PathId) -> CheckIn:
    membership, actor = caller(request)
    require(rules.can_view_clinical_record(membership), actor, Action.READ, ("CheckIn", checkin_id))
    checkin = get_or_404(checkins_for(request), checkin_id, actor)
    audit_read(actor, checkin, checkin.patient_id, checkin.organization_id)
    return checkin


def scores_of(answers: dict[str, dict[str, int | None]]) -> list[Score]:
    """Score each instrument with the core; a problem names the instrument that fails."""
    scores = []
    for code, items in answers.items():
        try:
            scores.append(score(code, items))
        except (KeyError, ScoringError) as error:
            message = str(error).strip("'\"")
            raise Problem(
                422,
                "The answers do not score.",
                [{"loc": ["body", "answers", code], "msg": message}],
            ) from error
    return scores


@router.post(
    "/patients/{patient_id}/checkins", response={201: CheckInOut}, url_name="checkin_create"
)
def create_checkin(
    request: HttpRequest,
    patient_id: PathId,
    payload: CheckInIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Store answers given to the clinic's system (source "api") through the one door: a
    PHQ-9 item 9 ≥ 1 opens the safety alert at once, as on every other path."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        require(rules.can_enter_checkins(membership), actor, Action.CREATE, ("CheckIn", patient_id))
        patient = get_patient_for(membership, patient_id, actor=actor)
        submitted_at = payload.submitted_at or timezone.now()
        try:
            if submitted_at > timezone.now():
                raise Problem(
                    422,
                    "A check-in cannot be dated in the future.",
                    [{"loc": ["body", "submitted_at"], "msg": "in the future"}],
                )
            recorded = submit_checkin(
                actor,
                patient,
                scores_of(payload.answers),
                source=Source.API,
                note=payload.note,
                submitted_at=submitted_at,
            )
        except Problem:
            # Refused answers are not stored, but a positive item 9 or a note that matches
            # the screening list still reaches the care team, as on every other path.
            item9 = payload.answers.get(InstrumentCode.PHQ9.value, {}).get(ITEM9)
            report_unstored_checkin(
                patient,
                item9=item9 if item9 in (1, 2, 3) else None,
                note=payload.note,
                situation="sent through the API with errors",
            )
            raise
        stored = checkins_for(request).get(pk=recorded.checkin.pk)
        return 201, CheckInOut.from_orm(stored).model_dump(mode="json")

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )


def sessions_for(request: HttpRequest) -> QuerySet[TreatmentSession]:
    membership, _actor = caller(request)
    return (
        TreatmentSession.objects.filter(patient__in=list_patients_for(membership))
        .select_related("monitoring_form")
        .prefetch_related("vitals")
    )


def monitoring_form_of(session: TreatmentSession) -> MonitoringFormOut | None:
    try:
        form = session.monitoring_form
    except ObjectDoesNotExist:
        return None
    return MonitoringFormOut(
        due_on=form.due_on,
        submitted_on=form.submitted_on,
        submission_reference=form.submission_reference,
    )


def session_out(session: TreatmentSession) -> SessionOut:
    out = SessionOut.from_orm(session)
    out.monitoring_form = monitoring_form_of(session)
    return out


@router.get("/patients/{patient_id}/sessions", response=SessionPage, url_name="sessions")
def list_sessions(
    request: HttpRequest, patient_id: PathId, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> SessionPage:
    """The patient's sessions, newest first, with vital signs and the REMS form."""
    membership, actor = caller(request)
    require(
        rules.can_view_clinical_record(membership),
        actor,
        Action.READ,
        ("TreatmentSession", patient_id),
    )
    patient = get_patient_for(membership, patient_id, actor=actor)
    rows = sessions_for(request).filter(patient=patient)
    page = paginate(request, rows, "started_at", cursor=cursor, limit=limit, descending=True)
    audit_list(actor, [patient.pk], "api:sessions")
    return SessionPage(items=[session_out(s) for s in page.rows], next=page.next)


@router.get("/sessions/{session_id}", response=SessionOut, url_name="session")
def read_session(request: HttpRequest, session_id: PathId) -> SessionOut:
    membership, actor = caller(request)
    require(
        rules.can_view_clinical_record(membership),
        actor,
        Action.READ,
        ("TreatmentSession", session_id),
    )
    session = get_or_404(sessions_for(request), session_id, actor)
    audit_read(actor, session, session.patient_id, session.organization_id)
    return session_out(session)


@router.post(
    "/patients/{patient_id}/sessions", response={201: SessionOut}, url_name="session_create"
)
def create_session(
    request: HttpRequest,
    patient_id: PathId,
    payload: SessionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Sign a session through the one door: the session-safety rules run there, and a
    finding that needs a reason answers 422 until `confirm_findings` and a reason come."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        require(
            rules.can_log_sessions(membership),
            actor,
            Action.CREATE,
            ("TreatmentSession", patient_id),
        )
        patient = get_patient_for(membership, patient_id, actor=actor)
        fields = payload.model_dump(exclude={"vitals", "confirm_findings"})
        fields["monitoring_clinician"] = membership.user
        session = log_session(
            actor,
            patient,
            fields,
            [vital.model_dump() for vital in payload.vitals],
            confirm_findings=payload.confirm_findings,
        )
        return 201, session_out(sessions_for(request).get(pk=session.pk)).model_dump(mode="json")

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )
