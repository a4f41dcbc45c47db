"""Write a patient's relapse-prevention plan: every change is a new version with its reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_about, record_event
from lasting.patients.models import Patient
from lasting.prevention.models import (
    SECTIONS,
    PersonalItem,
    PlanVersion,
    threshold_problem,
)
from lasting.prevention.queries import can_write_prevention_plan


@dataclass(frozen=True)
class ItemDraft:
    """A personal item as the plan form gives it; `item_id` None for a new one."""

    warning_sign: str
    question: str
    answer_type: str
    threshold: float
    direction: str
    question_es: str = ""
    active: bool = True
    item_id: int | None = None


def save_plan_version(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    *,
    sections: Mapping[str, str],
    items: Sequence[ItemDraft],
    reason: str,
    base_version: int | None = None,
    now: datetime | None = None,
) -> PlanVersion:
    """Store the plan as the patient's next version, with who, when and why.

    `base_version` is the version number the writer's form was opened on (0 for none): if
    another version was saved since (a second click, a colleague's edit), the save is
    refused rather than storing the items twice or undoing the other change.

    1. Only a clinician of the patient's organisation writes the plan.
    2. A reason is required, and something must differ from the current version.
    3. Items are validated (threshold, direction); an existing item keeps its answer type
       (its answers would otherwise change meaning: retire it and add another instead).
    4. In one transaction, under a lock on the patient: items are updated, added or
       retired, and the version stores the sections and the items as they now stand.
    """
    if not can_write_prevention_plan(membership) or (
        membership.organization_id != patient.organization_id
    ):
        record_event(
            actor,
            Action.UPDATE,
            outcome=Outcome.DENIED,
            object_ref=("PlanVersion", f"patient:{patient.pk}"),
        )
        raise PermissionDenied("Only clinicians write relapse-prevention plans.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the plan changes.")
    for draft in items:
        problem = threshold_problem(draft.answer_type, draft.direction, draft.threshold)
        if problem:
            raise ValidationError(f"{draft.warning_sign}: {problem}")
    now = now or timezone.now()
    texts = {name: sections.get(name, "").strip() for name in SECTIONS}
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        current = PlanVersion.objects.filter(patient=patient).order_by("-number").first()
        if base_version is not None and base_version != (current.number if current else 0):
            raise ValidationError(
                "The plan was changed since you opened it (now version "
                f"{current.number if current else 0}): open it again and make your change there."
            )
        existing = {item.pk: item for item in PersonalItem.objects.filter(patient=patient)}
        changed_items = apply_items(patient, existing, items, now)
        unchanged_texts = current is not None and all(
            getattr(current, name) == text for name, text in texts.items()
        )
        if unchanged_texts and not changed_items:
            raise ValidationError("Nothing changed since the current version.")
        user = (
            get_user_model().objects.filter(pk=actor.user_id).first()
            if actor.user_id is not None
            else None
        )
        version = PlanVersion.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            number=(current.number + 1) if current else 1,
            created_at=now,
            created_by=user,
            author_name=(user.get_full_name() or user.get_username()) if user else actor.username,
            reason=reason,
            items=[
                item.snapshot()
                for item in PersonalItem.objects.filter(patient=patient).order_by("pk")
            ],
            **texts,
        )
        record_about(actor, Action.CREATE, version)
    return version


def apply_items(
    patient: Patient,
    existing: Mapping[int, PersonalItem],
    drafts: Sequence[ItemDraft],
    now: datetime,
) -> bool:
    """Update, add and retire the patient's items as the drafts say; return whether any
    changed. An item the drafts do not mention stays as it is."""
    changed = False
    for draft in drafts:
        fields = {
            "warning_sign": draft.warning_sign.strip(),
            "question": draft.question.strip(),
            "question_es": draft.question_es.strip(),
            "threshold": float(draft.threshold),
            "direction": draft.direction,
            "active": draft.active,
        }
        if draft.item_id is None:
            PersonalItem.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                answer_type=draft.answer_type,
                created_at=now,
                retired_at=None if draft.active else now,
                **fields,
            )
            changed = True
            continue
        item = existing.get(draft.item_id)
        if item is None:
            raise ValidationError("This personal item belongs to no plan of this patient.")
        if draft.answer_type != item.answer_type:
            raise ValidationError(
                f"{item.warning_sign}: the answer type cannot change; retire the item "
                "and add a new one."
            )
        if all(getattr(item, name) == value for name, value in fields.items()):
            continue
        if item.active and not draft.active:
            item.retired_at = now
        elif draft.active:
            item.retired_at = None
        for name, value in fields.items():
            setattr(item, name, value)
        item.save()
        changed = True
    return changed
