"""Alerts (read, acknowledge, contact outcome) and booster proposals (read, accept, move,
decline), through `lasting.alerts.services` and `lasting.plans.services`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import Alert, ContactOutcome
from lasting.alerts.queries import get_alert_for, list_alerts_for
from lasting.alerts.services import acknowledge_alert, record_contact_attempt
from lasting.api.access import audit_list, audit_read, get_or_404, location_in, require
from lasting.api.auth import caller
from lasting.api.idempotency import IdempotencyKeyHeader, run_once
from lasting.api.paging import DEFAULT_LIMIT, paginate
from lasting.api.problems import Problem
from lasting.api.schemas import (
    AcceptIn,
    AlertOut,
    AlertPage,
    ContactAttemptIn,
    DeclineIn,
    MoveIn,
    PathId,
    ProposalOut,
    ProposalPage,
)
from lasting.audit.models import Action
from lasting.audit.services import Actor
from lasting.patients.queries import list_patients_for
from lasting.plans.models import BoosterProposal
from lasting.plans.services import accept_proposal, decline_proposal, move_proposal

router = Router(tags=["alerts and proposals"])


@router.get("/alerts", response=AlertPage, url_name="alerts")
def list_alerts(
    request: HttpRequest,
    open_only: bool = True,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AlertPage:
    """Alerts the caller's role handles (nurses: safety alerts only), newest first."""
    membership, actor = caller(request)
    require(rules.can_handle_safety_alerts(membership), actor, Action.READ, ("Alert", "list"))
    rows = list_alerts_for(membership, open_only=open_only)
    page = paginate(request, rows, "opened_at", cursor=cursor, limit=limit, descending=True)
    audit_list(actor, [alert.patient_id for alert in page.rows], "api:alerts")
    return AlertPage(items=page.rows, next=page.next)  # type: ignore[arg-type]


@router.get("/alerts/{alert_id}", response=AlertOut, url_name="alert")
def read_alert(request: HttpRequest, alert_id: PathId) -> Alert:
    membership, actor = caller(request)
    alert = get_alert_for(membership, alert_id, actor=actor)
    audit_read(actor, alert, alert.patient_id, alert.organization_id)
    return alert


def alert_answer(membership: Membership, alert_id: PathId, actor: Actor) -> dict[str, Any]:
    alert = get_alert_for(membership, alert_id, actor=actor)
    return AlertOut.from_orm(alert).model_dump(mode="json")


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut, url_name="alert_acknowledge")
def acknowledge(
    request: HttpRequest, alert_id: PathId, idempotency_key: IdempotencyKeyHeader = None
) -> Any:
    """ "I have it": the alert stays unresolved and keeps escalating until a contact
    outcome closes it."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        acknowledge_alert(actor, membership, alert_id)
        return 200, alert_answer(membership, alert_id, actor)

    return run_once(request, membership, idempotency_key, {}, operation)


@router.post(
    "/alerts/{alert_id}/contact-attempts", response={201: AlertOut}, url_name="alert_contact"
)
def contact_attempt(
    request: HttpRequest,
    alert_id: PathId,
    payload: ContactAttemptIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Record an attempt to reach the patient about a safety alert; reached, left a
    message or emergency services closes it with the note."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        if payload.outcome not in ContactOutcome.values:
            raise Problem(
                422,
                "Unknown contact outcome.",
                [{"loc": ["body", "outcome"], "msg": f"one of {', '.join(ContactOutcome.values)}"}],
            )
        get_alert_for(membership, alert_id, actor=actor, action=Action.UPDATE)
        record_contact_attempt(
            actor, membership, alert_id, ContactOutcome(payload.outcome), payload.note
        )
        return 201, alert_answer(membership, alert_id, actor)

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )


def proposals_for(membership: Membership) -> QuerySet[BoosterProposal]:
    return BoosterProposal.objects.filter(patient__in=list_patients_for(membership))


def proposal_for(
    membership: Membership, proposal_id: PathId, actor: Actor, action: Action
) -> BoosterProposal:
    """A proposal a clinician of its organisation may see and decide on; 404 for another
    organisation's (audited)."""
    require(rules.can_decide_boosters(membership), actor, action, ("BoosterProposal", proposal_id))
    return get_or_404(proposals_for(membership), proposal_id, actor, action)


@router.get("/proposals", response=ProposalPage, url_name="proposals")
def list_proposals(
    request: HttpRequest,
    status: str = "",
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ProposalPage:
    """Booster proposals, newest first (clinicians only: they carry the engine's forecast);
    `status` filters (open, accepted, moved, declined, …)."""
    membership, actor = caller(request)
    require(rules.can_decide_boosters(membership), actor, Action.READ, ("BoosterProposal", "list"))
    rows = proposals_for(membership)
    if status:
        rows = rows.filter(status=status)
    page = paginate(request, rows, "created_at", cursor=cursor, limit=limit, descending=True)
    audit_list(actor, [p.patient_id for p in page.rows], "api:proposals")
    return ProposalPage(items=page.rows, next=page.next)  # type: ignore[arg-type]


@router.get("/proposals/{proposal_id}", response=ProposalOut, url_name="proposal")
def read_proposal(request: HttpRequest, proposal_id: PathId) -> BoosterProposal:
    membership, actor = caller(request)
    proposal = proposal_for(membership, proposal_id, actor, Action.READ)
    audit_read(actor, proposal, proposal.patient_id, proposal.organization_id)
    return proposal


def proposal_answer(status: int, proposal_id: PathId) -> tuple[int, Any]:
    proposal = BoosterProposal.objects.get(pk=proposal_id)
    return status, ProposalOut.from_orm(proposal).model_dump(mode="json")


@router.post(
    "/proposals/{proposal_id}/accept", response={201: ProposalOut}, url_name="proposal_accept"
)
def accept(
    request: HttpRequest,
    proposal_id: PathId,
    payload: AcceptIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Accept by booking the booster (the appointment is created in the same step)."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        proposal_for(membership, proposal_id, actor, Action.UPDATE)
        location = location_in(membership, payload.location_id)
        accept_proposal(
            actor,
            membership,
            proposal_id,
            starts_at=payload.starts_at,
            location=location,
            note=payload.note,
        )
        return proposal_answer(201, proposal_id)

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )


@router.post("/proposals/{proposal_id}/move", response={201: ProposalOut}, url_name="proposal_move")
def move(
    request: HttpRequest,
    proposal_id: PathId,
    payload: MoveIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Keep the booster proposed in a new window: answers the new, open proposal."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        proposal_for(membership, proposal_id, actor, Action.UPDATE)
        moved = move_proposal(
            actor,
            membership,
            proposal_id,
            earliest_on=payload.earliest_on,
            latest_on=payload.latest_on,
            note=payload.note,
        )
        return proposal_answer(201, moved.pk)

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )


@router.post("/proposals/{proposal_id}/decline", response=ProposalOut, url_name="proposal_decline")
def decline(
    request: HttpRequest,
    proposal_id: PathId,
    payload: DeclineIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Decline with a reason (it feeds the calibration reports)."""
    membership, actor = caller(request)

    def operation() -> tuple[int, Any]:
        proposal_for(membership, proposal_id, actor, Action.UPDATE)
        decline_proposal(actor, membership, proposal_id, reason=payload.reason)
        return proposal_answer(200, proposal_id)

    return run_once(
        request, membership, idempotency_key, payload.model_dump(mode="json"), operation
    )
