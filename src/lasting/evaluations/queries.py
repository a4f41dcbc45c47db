"""Reads of evaluation requests, scoped to the reader's organisation and role.

Schedulers see who asked, how to reach them, where and the status; the reason, the
diagnoses, the treatment, the scores, item 9 and the screening answers only reach the
clinical team (`rules.can_read_request_answers`). Every read is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from lasting.accounts import rules
from lasting.accounts.models import Membership, Organization
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event, record_patients_shown
from lasting.evaluations.models import EvaluationRequest, RequestStatus, StatusChange
from lasting.evaluations.services import OBJECT_TYPE, item9_of, score_answers
from lasting_core.instruments import Score

OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.CONTACTED)


@dataclass(frozen=True)
class RequestPage:
    """A request as one reader may see it: `scores` and `screening` empty for schedulers."""

    request: EvaluationRequest
    history: list[StatusChange]
    answers_shown: bool
    scores: list[Score]
    item9: int | None
    screening: dict[str, str]


def find_organization_by_slug(slug: str) -> Organization:
    """The organisation whose public request page this is; 404 for any other slug."""
    return get_object_or_404(Organization, slug=slug)


def list_requests_for(
    membership: Membership | None, actor: Actor, *, show_all: bool = False
) -> list[EvaluationRequest]:
    """The organisation's requests, newest first: the open ones, or all. The list shows
    names and contact details, so reading it is audited (one event)."""
    if not rules.can_handle_evaluation_requests(membership):
        raise PermissionDenied("Your role cannot see evaluation requests.")
    rows = EvaluationRequest.objects.filter(organization_id=membership.organization_id)
    if not show_all:
        rows = rows.filter(status__in=OPEN_STATUSES)
    found = list(rows.select_related("location")[:500])
    record_event(
        actor,
        Action.READ,
        organization_id=membership.organization_id,
        object_ref=(OBJECT_TYPE, "inbox"),
    )
    # Requests that already made a patient (item 9, or booked) are patients on a list.
    shown = sorted({row.patient_id for row in found if row.patient_id is not None})
    if shown:
        record_patients_shown(
            actor,
            Action.SEARCH,
            shown,
            organization_id=membership.organization_id,
            list_name="evaluation requests",
        )
    return found


def get_request_for(membership: Membership | None, request_id: int, actor: Actor) -> RequestPage:
    """One request of the reader's organisation (404 for another's), audited."""
    if not rules.can_handle_evaluation_requests(membership):
        raise PermissionDenied("Your role cannot see evaluation requests.")
    request = get_object_or_404(
        EvaluationRequest.objects.select_related("location", "patient"),
        pk=request_id,
        organization_id=membership.organization_id,
    )
    record_event(
        actor,
        Action.READ,
        patient_id=request.patient_id,
        organization_id=request.organization_id,
        obj=request,
    )
    shown = rules.can_read_request_answers(membership)
    history = list(request.status_changes.select_related("changed_by"))
    if not shown:
        # A decline's note may name a clinical reason: schedulers see who and when only.
        for change in history:
            change.note = ""
    return RequestPage(
        request=request,
        history=history,
        answers_shown=shown,
        scores=score_answers(request.answers) if shown else [],
        item9=item9_of(request.answers) if shown else None,
        screening=dict(request.screening) if shown else {},
    )
