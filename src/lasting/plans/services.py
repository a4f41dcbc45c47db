"""Maintenance plans and booster proposals: create, accept, move, decline, expire."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_about, record_event
from lasting.patients.models import Patient, Phase
from lasting.patients.queries import ACTIVE_PHASES, current_phase, find_current_course
from lasting.plans.models import (
    PLAN_FIELDS,
    BoosterProposal,
    MaintenancePlan,
    MaintenancePlanChange,
    ProposalStatus,
)
from lasting.risk.history import local_day
from lasting.risk.services import assess_many, assess_one, refit_prior
from lasting.treatment.appointments import check_slot
from lasting.treatment.models import Appointment, AppointmentStatus, SessionKind
from lasting_core.daynumbers import date_of_day
from lasting_core.engine import Assessment, SignalKind
from lasting_core.policies import Proposal, RiskSnapshot, propose

log = logging.getLogger("lasting.plans")


def plan_or_default(patient: Patient) -> MaintenancePlan:
    """The patient's plan, or an unsaved default one (saved when a clinician saves it)."""
    plan = MaintenancePlan.objects.filter(patient=patient).first()
    return plan or MaintenancePlan(patient=patient, organization_id=patient.organization_id)


def risk_snapshot(
    patient: Patient, assessment: Assessment, plan: MaintenancePlan, now: datetime
) -> RiskSnapshot:
    """What the plan's policy needs, from the engine's assessment and the patient's rows."""
    zone = ZoneInfo(patient.time_zone)
    proposals = BoosterProposal.objects.filter(patient=patient).order_by("-created_at")
    last_proposal = proposals.first()
    pending = proposals.filter(status__in=[ProposalStatus.OPEN, ProposalStatus.ACCEPTED]).first()
    booked = (
        Appointment.objects.filter(
            patient=patient,
            kind=SessionKind.BOOSTER,
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=now,
        )
        .order_by("starts_at")
        .first()
    )
    course = find_current_course(patient)
    since = assessment.days_since_session
    return RiskSnapshot(
        as_of_day=assessment.as_of_day,
        p_relapse_14d=assessment.p_relapse_14d,
        p_relapse_28d=assessment.p_relapse_28d,
        crossing_day=assessment.crossing_day,
        latest_phq9=assessment.latest_phq9,
        latest_phq9_day=assessment.latest_phq9_day,
        nadir_phq9=assessment.nadir,
        early_warning=any(s.kind == SignalKind.EARLY_WARNING for s in assessment.signals),
        last_session_day=None if since is None else assessment.as_of_day - since,
        last_proposal_day=local_day(last_proposal.created_at, zone) if last_proposal else None,
        pending_proposal_day=local_day(pending.created_at, zone) if pending else None,
        booked_booster_day=local_day(booked.starts_at, zone) if booked else None,
        in_maintenance=course is not None and course.phase == Phase.MAINTENANCE,
    )


def propose_booster(
    patient: Patient, assessment: Assessment, now: datetime
) -> BoosterProposal | None:
    """Ask the patient's plan whether a booster is due; store the proposal if so."""
    plan = plan_or_default(patient)
    proposal = propose(plan.policy_settings(), risk_snapshot(patient, assessment, plan, now))
    if proposal is None:
        return None
    today = date_of_day(assessment.as_of_day)
    return open_proposal(patient, plan, proposal, today=today, now=now)


def refresh_patient(patient: Patient, now: datetime | None = None) -> BoosterProposal | None:
    """Re-assess one patient after new data (incremental path) and apply their plan."""
    now = now or timezone.now()
    assessment = assess_one(patient, now)
    return propose_booster(patient, assessment, now)


def reassess_after_commit(patient: Patient) -> None:
    """Re-assess the patient once the current transaction commits (at once outside one).

    The one way re-assessment starts after new data: the one door calls it for every
    check-in, session and clinical event, and a plan change calls it too. It runs in the
    same request, so the clinician sees the new risk at once; a failure is logged and
    never undoes what was stored (the next sweep re-assesses).
    """

    def reassess() -> None:
        try:
            refresh_patient(patient)
        except Exception:
            log.exception("patient %s: re-assessment after new data failed", patient.pk)

    transaction.on_commit(reassess)


def sweep_organization(organization_id: int, now: datetime | None = None) -> int:
    """Re-assess every patient in active care (batch path); return how many were assessed."""
    now = now or timezone.now()
    expire_proposals(organization_id, now)
    everyone = list(
        Patient.objects.filter(organization_id=organization_id).annotate(phase=current_phase())
    )
    refit_prior(everyone, now)
    active = [patient for patient in everyone if patient.phase in ACTIVE_PHASES]
    return assess_and_propose(active, now, "in the sweep")


def assess_and_propose(patients: Sequence[Patient], now: datetime, where: str) -> int:
    """Assess `patients` in one batch and apply each one's plan; one patient's failing plan
    never stops the others. Return how many were assessed."""
    assessments = assess_many(patients, now, refit_prior=False)
    for patient in patients:
        if patient.pk not in assessments:
            continue
        try:
            propose_booster(patient, assessments[patient.pk], now)
        except Exception:
            log.exception("patient %s: booster proposal failed %s", patient.pk, where)
    return len(assessments)


def save_plan(
    actor: Actor, plan: MaintenancePlan, *, reason: str, now: datetime | None = None
) -> MaintenancePlan:
    """Save a changed plan and keep the change in its history.

    1. A reason is required; a save that changes nothing stores nothing.
    2. In one transaction: the plan, a `MaintenancePlanChange` (the values after the
       change, which changed, who, when, why) and the audit event; an open proposal made
       under another policy is withdrawn.
    3. The patient is re-assessed under the new plan after the commit.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the plan changes.")
    now = now or timezone.now()
    with transaction.atomic():
        stored = (
            MaintenancePlan.objects.select_for_update().filter(pk=plan.pk).first()
            if plan.pk
            else None
        )
        changed = [
            name
            for name in PLAN_FIELDS
            if stored is None or getattr(stored, name) != getattr(plan, name)
        ]
        if not changed:
            return plan
        plan.save()
        record_about(actor, Action.UPDATE, plan)
        user = (
            get_user_model().objects.filter(pk=actor.user_id).first()
            if actor.user_id is not None
            else None
        )
        MaintenancePlanChange.objects.create(
            organization_id=plan.organization_id,
            patient_id=plan.patient_id,
            changed_at=now,
            changed_by=user,
            author_name=(user.get_full_name() or user.get_username()) if user else actor.username,
            reason=reason,
            changed_fields=changed if stored is not None else [],
            **{name: getattr(plan, name) for name in PLAN_FIELDS},
        )
        BoosterProposal.objects.filter(patient=plan.patient, status=ProposalStatus.OPEN).exclude(
            policy=plan.policy
        ).update(
            status=ProposalStatus.EXPIRED,
            decided_at=now,
            decision_note="withdrawn: the maintenance plan changed",
        )
    reassess_after_commit(plan.patient)
    return plan


def list_plan_changes(patient: Patient) -> list[MaintenancePlanChange]:
    """The patient's maintenance-plan history, newest first; call after an access check."""
    return list(
        MaintenancePlanChange.objects.filter(
            patient=patient, organization_id=patient.organization_id
        ).order_by("-changed_at", "-pk")
    )


def get_or_create_plan(patient: Patient) -> MaintenancePlan:
    plan, _ = MaintenancePlan.objects.get_or_create(
        patient=patient, defaults={"organization_id": patient.organization_id}
    )
    return plan


def open_proposal(
    patient: Patient, plan: MaintenancePlan, proposal: Proposal, *, today: date, now: datetime
) -> BoosterProposal | None:
    """Store a proposal unless one is already open for the patient (one open at a time,
    enforced by a constraint so a sweep and a check-in cannot both add one)."""
    if BoosterProposal.objects.filter(patient=patient, status=ProposalStatus.OPEN).exists():
        return None
    earliest_on = max(today, date_of_day(proposal.earliest_day))
    latest_on = max(earliest_on + timedelta(days=1), date_of_day(proposal.latest_day))
    try:
        with transaction.atomic():
            return BoosterProposal.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                policy=plan.policy,
                created_at=now,
                earliest_on=earliest_on,
                latest_on=latest_on,
                reason="; ".join(proposal.reasons)[:500],
                drivers=dict(proposal.drivers),
            )
    except IntegrityError:
        return None


def check_proposal_access(actor: Actor, membership: Membership | None, proposal_id: int) -> None:
    """Raise PermissionDenied unless a clinician of the proposal's organisation asks.

    Called before any transaction opens, so the audited denial is not rolled back.
    """
    allowed = (
        membership is not None
        and rules.can_decide_boosters(membership)
        and BoosterProposal.objects.filter(
            organization_id=membership.organization_id, pk=proposal_id
        ).exists()
    )
    if not allowed:
        record_event(
            actor,
            Action.UPDATE,
            outcome=Outcome.DENIED,
            object_ref=("BoosterProposal", proposal_id),
        )
        raise PermissionDenied("You cannot decide on this proposal.")


def _proposal_for(actor: Actor, membership: Membership | None, proposal_id: int) -> BoosterProposal:
    """Lock an open proposal the member may decide on (access checked by the caller)."""
    if membership is None:
        raise PermissionDenied("You cannot decide on this proposal.")
    proposal = (
        BoosterProposal.objects.select_for_update()
        .select_related("patient", "organization")
        .get(pk=proposal_id, organization_id=membership.organization_id)
    )
    if proposal.status != ProposalStatus.OPEN:
        raise ValidationError(f"This proposal was already {proposal.get_status_display().lower()}.")
    return proposal


def _decide(actor: Actor, proposal: BoosterProposal, status: ProposalStatus, note: str) -> None:
    proposal.status = status
    proposal.decided_at = timezone.now()
    proposal.decided_by_id = actor.user_id
    proposal.decision_note = note
    proposal.save()
    record_about(actor, Action.UPDATE, proposal)


def accept_proposal(
    actor: Actor,
    membership: Membership | None,
    proposal_id: int,
    *,
    starts_at: datetime,
    location: Location | None,
    note: str = "",
) -> Appointment:
    """Accept a proposal by booking the booster; the appointment is created in the same step."""
    if starts_at < timezone.now():
        raise ValidationError("The booster time is in the past: choose a time from now on.")
    check_proposal_access(actor, membership, proposal_id)
    with transaction.atomic():
        proposal = _proposal_for(actor, membership, proposal_id)
        if location is not None and location.organization_id != proposal.organization_id:
            raise PermissionDenied("That location belongs to another organisation.")
        if location is not None:
            Location.objects.select_for_update().filter(pk=location.pk).first()
        check_slot(
            proposal.patient,
            location,
            starts_at,
            Appointment._meta.get_field("duration_minutes").get_default(),
            now=timezone.now(),
        )
        appointment = Appointment.objects.create(
            organization_id=proposal.organization_id,
            patient=proposal.patient,
            location=location,
            clinician_id=proposal.patient.assigned_clinician_id,
            kind=SessionKind.BOOSTER,
            starts_at=starts_at,
            created_by_id=actor.user_id,
        )
        proposal.appointment = appointment
        _decide(actor, proposal, ProposalStatus.ACCEPTED, note)
        record_event(
            actor,
            Action.CREATE,
            patient_id=proposal.patient_id,
            organization_id=proposal.organization_id,
            obj=appointment,
        )
    return appointment


def move_proposal(
    actor: Actor,
    membership: Membership | None,
    proposal_id: int,
    *,
    earliest_on: date,
    latest_on: date,
    note: str,
) -> BoosterProposal:
    """Keep the proposal open but in a new window (recorded as a decision, then reopened)."""
    if latest_on < earliest_on:
        raise ValidationError("The window cannot end before it starts.")
    check_proposal_access(actor, membership, proposal_id)
    with transaction.atomic():
        proposal = _proposal_for(actor, membership, proposal_id)
        if latest_on < today_in(proposal.organization.time_zone):
            raise ValidationError("The new window has already passed.")
        _decide(actor, proposal, ProposalStatus.MOVED, note)
        moved = BoosterProposal.objects.create(
            organization_id=proposal.organization_id,
            patient=proposal.patient,
            policy=proposal.policy,
            created_at=timezone.now(),
            earliest_on=earliest_on,
            latest_on=latest_on,
            reason=proposal.reason,
            drivers={**proposal.drivers, "moved_from": proposal.pk},
        )
    return moved


def decline_proposal(
    actor: Actor, membership: Membership | None, proposal_id: int, *, reason: str
) -> BoosterProposal:
    """Decline with a reason; the reason feeds calibration reports."""
    if not reason.strip():
        raise ValidationError("Say why the booster is declined.")
    check_proposal_access(actor, membership, proposal_id)
    with transaction.atomic():
        proposal = _proposal_for(actor, membership, proposal_id)
        _decide(actor, proposal, ProposalStatus.DECLINED, reason.strip())
    return proposal


def expire_proposals(organization_id: int, now: datetime | None = None) -> int:
    """Close the organisation's open proposals whose window ended before its today."""
    now = now or timezone.now()
    organization = Organization.objects.get(pk=organization_id)
    today = today_in(organization.time_zone, now)
    return BoosterProposal.objects.filter(
        organization_id=organization_id, status=ProposalStatus.OPEN, latest_on__lt=today
    ).update(status=ProposalStatus.EXPIRED, decided_at=now, decision_note="window passed")


def close_proposals_for(
    actor: Actor, patient_id: int, *, note: str, appointment: Appointment | None = None
) -> int:
    """A booster booked by hand or given answers the patient's open proposals: they are
    accepted (with the appointment, if booked), so nobody books the same booster twice.
    Returns how many were closed."""
    closed = 0
    for proposal in BoosterProposal.objects.select_for_update().filter(
        patient_id=patient_id, status=ProposalStatus.OPEN
    ):
        if appointment is not None:
            proposal.appointment = appointment
        _decide(actor, proposal, ProposalStatus.ACCEPTED, note)
        closed += 1
    return closed


def reassess_many_after_commit(patients: Sequence[Patient]) -> None:
    """Queue one re-assessment of many patients of one organisation for after the commit.

    An import calls it once for the whole file instead of once per row. The engine's
    batch path runs in the worker (`reassess_patients_task`), not in the command: at
    10,000 patients it takes longer than storing the file, and, as with
    `reassess_after_commit`, a failure never undoes what was stored (the hourly sweep
    re-assesses everyone anyway).
    """
    from lasting.plans.tasks import reassess_patients_task

    if not patients:
        return
    organization_id = patients[0].organization_id
    patient_ids = [patient.pk for patient in patients]
    transaction.on_commit(
        lambda: reassess_patients_task.enqueue(organization_id, patient_ids), robust=True
    )


def reassess_patients(organization_id: int, patient_ids: Sequence[int]) -> int:
    """Re-assess these patients of one organisation in one batch (`assess_many`) and apply
    each one's plan, as the sweep does; return how many were assessed."""
    patients = list(Patient.objects.filter(organization_id=organization_id, pk__in=patient_ids))
    return assess_and_propose(patients, timezone.now(), "after an import")
