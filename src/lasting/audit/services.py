"""Append to and verify the audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from lasting.audit.models import Action, AuditEvent, ChainHead, Outcome

if TYPE_CHECKING:
    from django.http import HttpRequest

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acted and from where: taken from a request, or named for jobs and commands."""

    user_id: int | None
    username: str
    organization_id: int | None
    address: str | None
    request_id: str

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = getattr(request, "user", None)
        membership = getattr(request, "membership", None)
        authenticated = bool(user and user.is_authenticated)
        return cls(
            user_id=user.pk if authenticated and user else None,
            username=user.get_username() if authenticated and user else "",
            organization_id=membership.organization_id if membership else None,
            address=request.META.get("REMOTE_ADDR"),
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def system(cls, name: str, organization_id: int | None = None) -> Actor:
        return cls(None, name, organization_id, None, "")


def compute_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """Hash an event's fields together with the previous event's hash."""
    payload = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((previous_hash + payload).encode()).hexdigest()


def event_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "organization_id": event.organization_id,
        "patient_id": event.patient_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "address": event.address,
        "request_id": event.request_id,
    }


def record_event(
    actor: Actor,
    action: Action,
    *,
    patient_id: int | None = None,
    organization_id: int | None = None,
    obj: object | None = None,
    object_ref: tuple[str, object] | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, if any).

    `obj` names a stored row; `object_ref` (type name, id) names one that was asked for
    but not shown, as on a denied request.
    """
    object_type, object_id = "", ""
    if obj is not None:
        object_type, object_id = type(obj).__name__, str(getattr(obj, "pk", "") or "")
    elif object_ref is not None:
        object_type, object_id = object_ref[0], str(object_ref[1])[:64]
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH}
        )
        event = AuditEvent(
            at=timezone.now(),
            user_id=actor.user_id,
            username=actor.username,
            organization_id=organization_id or actor.organization_id,
            patient_id=patient_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            address=actor.address,
            request_id=actor.request_id,
            previous_hash=head.last_hash,
        )
        event.hash = compute_hash(head.last_hash, event_fields(event))
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


def record_patients_shown(
    actor: Actor,
    action: Action,
    patient_ids: Sequence[int],
    *,
    organization_id: int | None,
    list_name: str,
) -> list[AuditEvent]:
    """Append one event per patient a list showed (the caseload page, a search), so the
    trail answers "who saw this patient" for lists as it does for charts. One lock on the
    chain's head and one insert for the whole list; with no patients, one event says the
    list was read and showed nobody."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH}
        )
        at = timezone.now()
        events = []
        for patient_id in patient_ids or [None]:
            event = AuditEvent(
                at=at,
                user_id=actor.user_id,
                username=actor.username,
                organization_id=organization_id or actor.organization_id,
                patient_id=patient_id,
                action=action,
                object_type=list_name,
                outcome=Outcome.SUCCESS,
                address=actor.address,
                request_id=actor.request_id,
                previous_hash=head.last_hash,
            )
            event.hash = compute_hash(head.last_hash, event_fields(event))
            head.last_hash = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["last_hash"])
    return events


def record_about(
    actor: Actor, action: Action, obj: object, *, outcome: Outcome = Outcome.SUCCESS
) -> AuditEvent:
    """Append an event about a clinical row, which carries its patient and organisation."""
    return record_event(
        actor,
        action,
        patient_id=getattr(obj, "patient_id", None),
        organization_id=getattr(obj, "organization_id", None),
        obj=obj,
        outcome=outcome,
    )


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    reason: str


def verify_chain() -> Iterator[ChainProblem]:
    """Yield every place where the stored chain does not add up."""
    previous = GENESIS_HASH
    last_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous:
            yield ChainProblem(event.pk, "previous hash does not match the event before it")
        if compute_hash(event.previous_hash, event_fields(event)) != event.hash:
            yield ChainProblem(event.pk, "contents do not match the stored hash")
        previous = event.hash
        last_hash = event.hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is None and last_hash != GENESIS_HASH:
        yield ChainProblem(0, "the chain head is missing")
    elif head is not None and head.last_hash != last_hash:
        yield ChainProblem(0, "the newest events are missing (chain head does not match)")
