"""Store the answers to a patient's personal items: the writer behind the one door.

Only `lasting.intake` may import this module (an import-linter contract): the answers
enter with their check-in, in the same transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckIn
from lasting.checkins.services import IdempotencyConflict
from lasting.prevention.models import ANSWER_RANGES, PersonalItem, PersonalItemAnswer


class PersonalAnswerError(ValueError):
    """An answer lies outside its item's range."""


def record_personal_answers(
    actor: Actor, checkin: CheckIn, answers: Mapping[int, float], *, created: bool
) -> list[PersonalItemAnswer]:
    """Store the answers (item id -> value) to the patient's active personal items.

    1. Only answers to the check-in's patient's active items are stored: an item retired
       while the form was open (or any other id) is dropped, never the check-in. A value
       outside its answer type's range raises `PersonalAnswerError`; nothing is stored.
    2. A retried check-in (`created` False) stores nothing new; answers other than the
       stored ones raise `IdempotencyConflict`, as other questionnaire answers do.
    3. The day is the patient's, on their clock at the check-in's time.
    """
    if not created:
        # Compared on the items active now: one retired since the first submission is
        # missing from a retried form, and that is not a different answer.
        active = set(
            PersonalItem.objects.filter(patient_id=checkin.patient_id, active=True).values_list(
                "pk", flat=True
            )
        )
        stored = dict(
            PersonalItemAnswer.objects.filter(checkin=checkin, item_id__in=active).values_list(
                "item_id", "value"
            )
        )
        posted = {item: float(value) for item, value in answers.items() if item in active}
        if stored != posted:
            raise IdempotencyConflict("This submission key was already used for other answers.")
        return []
    if not answers:
        return []
    patient = checkin.patient
    items = {
        item.pk: item
        for item in PersonalItem.objects.filter(
            patient=patient,
            organization_id=patient.organization_id,
            active=True,
            pk__in=list(answers),
        )
    }
    answered_on = today_in(patient.time_zone, checkin.submitted_at)
    rows = []
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            continue
        low, high = ANSWER_RANGES[item.answer_type]
        if not low <= value <= high:
            raise PersonalAnswerError(f"An answer must lie between {low:g} and {high:g}.")
        rows.append(
            PersonalItemAnswer(
                organization_id=patient.organization_id,
                patient=patient,
                checkin=checkin,
                item=item,
                value=float(value),
                answered_on=answered_on,
            )
        )
    if not rows:
        return []
    created_rows = PersonalItemAnswer.objects.bulk_create(rows)
    record_event(
        actor,
        Action.CREATE,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        object_ref=("PersonalItemAnswer", checkin.pk),
    )
    return created_rows
