"""Reads of relapse-prevention plans: the care team's (access-checked and audited), the
patient's own, and the personal items with their answers for the engine.

Clinicians write the plan; nurses read it (they decide and document with it,
docs/clinical.md#roles); schedulers and admins never see it; another organisation's
patient answers 404.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeGuard

from django.core.exceptions import PermissionDenied
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.patients.queries import get_patient_for
from lasting.prevention.models import PersonalItem, PersonalItemAnswer, PlanVersion


def can_read_prevention_plan(membership: Membership | None) -> TypeGuard[Membership]:
    """Clinicians and nurses: the plan is part of the clinical record."""
    return rules.can_view_clinical_record(membership)


def can_write_prevention_plan(membership: Membership | None) -> TypeGuard[Membership]:
    """Clinicians only: the plan is written by the prescriber with the patient."""
    return rules.can_manage_courses(membership)


@dataclass(frozen=True)
class PlanPage:
    patient: Patient
    shown: PlanVersion | None
    current_number: int | None
    versions: list[PlanVersion]


def get_plan_page_for(
    membership: Membership | None,
    patient_id: int,
    *,
    actor: Actor,
    number: int | None = None,
    action: Action = Action.READ,
) -> PlanPage:
    """The patient's plan (the current version, or version `number`) with its history.

    A refusal is audited; so is the read (`action` READ, or PRINT for the print view).
    """
    if not can_read_prevention_plan(membership):
        record_event(
            actor,
            action,
            outcome=Outcome.DENIED,
            object_ref=("PlanVersion", f"patient:{patient_id}"),
        )
        raise PermissionDenied("Your role cannot read relapse-prevention plans.")
    patient = get_patient_for(membership, patient_id, actor=actor)
    versions = list(
        PlanVersion.objects.filter(patient=patient, organization_id=patient.organization_id)
        .defer("items")
        .order_by("-number")
    )
    current_number = versions[0].number if versions else None
    wanted = number if number is not None else current_number
    shown = None
    if wanted is not None:
        shown = (
            PlanVersion.objects.filter(
                patient=patient, organization_id=patient.organization_id, number=wanted
            )
            .select_related("created_by")
            .first()
        )
        if shown is None:
            raise Http404("No such version.")
    record_event(
        actor,
        action,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=shown,
        object_ref=None if shown else ("PlanVersion", f"patient:{patient.pk}"),
    )
    return PlanPage(patient, shown, current_number, versions)


def list_items_for_editing(patient: Patient) -> list[PersonalItem]:
    """Every item of the patient's plan, active ones first; call after an access check."""
    return list(
        PersonalItem.objects.filter(
            patient=patient, organization_id=patient.organization_id
        ).order_by("-active", "pk")
    )


def find_current_plan(patient: Patient) -> PlanVersion | None:
    """The patient's own current plan, for their page (the session names the patient)."""
    return (
        PlanVersion.objects.filter(patient=patient, organization_id=patient.organization_id)
        .order_by("-number")
        .first()
    )


def has_current_plan(patient: Patient) -> bool:
    """Whether the patient has a plan to show on their page (one cheap query)."""
    return PlanVersion.objects.filter(
        patient=patient, organization_id=patient.organization_id
    ).exists()


def list_asked_items(patient: Patient) -> list[PersonalItem]:
    """The personal items the daily check asks this patient: active ones only."""
    return list(
        PersonalItem.objects.filter(
            patient=patient, organization_id=patient.organization_id, active=True
        ).order_by("pk")
    )


# For the engine ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedItem:
    """An active personal item and its answers, as plain values for the engine.

    `direction` is "above" (a warning at or above `threshold`) or "below" (at or below);
    `answer_type` is "scale" (0-10), "yes_no" (no 0, yes 1) or "hours" (0-24);
    `answers` are (day on the patient's clock, value), oldest first.
    """

    item_id: int
    label: str
    answer_type: str
    threshold: float
    direction: str
    answers: tuple[tuple[date, float], ...]


def list_tracked_items(
    patient_ids: Iterable[int], *, since: date | None = None
) -> dict[int, list[TrackedItem]]:
    """Each patient's active personal items with their answers (since `since`, if given).

    Two queries for any number of patients. Patients without active items are absent.
    Callers scope `patient_ids` to one organisation (the risk adapter reads its own
    organisation's patients); the rows carry no names.
    """
    ids = list(patient_ids)
    items = list(
        PersonalItem.objects.filter(patient_id__in=ids, active=True)
        .order_by("patient_id", "pk")
        .values_list("pk", "patient_id", "warning_sign", "answer_type", "threshold", "direction")
    )
    answers_by_item: dict[int, list[tuple[date, float]]] = defaultdict(list)
    answers = PersonalItemAnswer.objects.filter(item_id__in=[row[0] for row in items])
    if since is not None:
        answers = answers.filter(answered_on__gte=since)
    for item_id, answered_on, value in answers.order_by(
        "answered_on", "checkin__submitted_at"
    ).values_list("item_id", "answered_on", "value"):
        answers_by_item[item_id].append((answered_on, value))
    tracked: dict[int, list[TrackedItem]] = defaultdict(list)
    for item_id, patient_id, label, answer_type, threshold, direction in items:
        tracked[patient_id].append(
            TrackedItem(
                item_id=item_id,
                label=label,
                answer_type=answer_type,
                threshold=threshold,
                direction=direction,
                answers=tuple(answers_by_item[item_id]),
            )
        )
    return dict(tracked)
