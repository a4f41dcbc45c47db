"""Append to and verify the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
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


def compute_hash(previous_hash: str, fields: dict[str, Any], key: str | None = None) -> str:
    """Hash an event's fields together with the previous event's hash, keyed (HMAC-SHA256)
    with the audit key, which is kept outside the database."""
    payload = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    secret = (key if key is not None else settings.AUDIT_KEY).encode()
    return hmac.new(secret, (previous_hash + payload).encode(), hashlib.sha256).hexdigest()


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
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
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
        shown: list[int | None] = [*patient_ids] or [None]
        for patient_id in shown:
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
        head.count += len(events)
        head.save(update_fields=["last_hash", "count"])
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


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment, kept outside the database."""

    at: str
    count: int
    hash: str

    def line(self) -> str:
        return json.dumps({"at": self.at, "count": self.count, "hash": self.hash})


anchor_log = logging.getLogger("lasting.audit.anchor")


def write_anchor() -> Anchor:
    """Append the chain's head (its hash and event count) to the anchor file and to the
    log stream. Later, a trail that was rewritten, cut short or emptied no longer
    matches an anchor, even if its own hashes were recomputed."""
    head = ChainHead.objects.filter(pk=1).first()
    anchor = Anchor(
        at=timezone.now().isoformat(),
        count=head.count if head else 0,
        hash=head.last_hash if head else GENESIS_HASH,
    )
    append_to_anchor_file(anchor.line())
    anchor_log.info("audit anchor %s", anchor.line())
    return anchor


def append_to_anchor_file(line: str) -> None:
    """Append one line to the anchor file (private, append-only, on disk before returning)."""
    descriptor = os.open(settings.AUDIT_ANCHOR_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())


def write_restore_marker(restored_from: str) -> Anchor:
    """After a restore: say so in the anchor file and the log, then anchor the restored
    trail. Anchors written before the marker describe the trail that was replaced, so
    verification starts again from here (and the marker shows when and from what)."""
    line = json.dumps({"at": timezone.now().isoformat(), "restored_from": restored_from})
    append_to_anchor_file(line)
    anchor_log.info("audit restore %s", line)
    return write_anchor()


def read_anchors(path: Path) -> list[Anchor]:
    """Anchors from the anchor file or from a log that carries its lines; a restore marker
    sets aside the anchors before it."""
    anchors: list[Anchor] = []
    if not path.exists():
        return anchors
    for line in path.read_text().splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            fields = json.loads(line[start:])
            if "restored_from" in fields:
                anchors = []
                continue
            anchors.append(Anchor(str(fields["at"]), int(fields["count"]), str(fields["hash"])))
        except (ValueError, KeyError, TypeError):
            continue
    return anchors


def verify_chain(anchors: Sequence[Anchor] = (), using: str = "default") -> Iterator[ChainProblem]:
    """Yield every place where the stored chain (in the database `using`) does not add up,
    or does not reach an anchor written earlier."""
    previous = GENESIS_HASH
    count = 0
    hash_at = {anchor.count: anchor for anchor in anchors}
    for event in AuditEvent.objects.using(using).order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.previous_hash != previous:
            yield ChainProblem(event.pk, "previous hash does not match the event before it")
        if compute_hash(event.previous_hash, event_fields(event)) != event.hash:
            yield ChainProblem(event.pk, "contents do not match the stored hash")
        anchor = hash_at.get(count)
        if anchor is not None and anchor.hash != event.hash:
            yield ChainProblem(event.pk, f"differs from the anchor written at {anchor.at}")
        previous = event.hash
    head = ChainHead.objects.using(using).filter(pk=1).first()
    if head is None and count:
        yield ChainProblem(0, "the chain head is missing")
    elif head is not None and (head.last_hash, head.count) != (previous, count):
        yield ChainProblem(0, "the newest events are missing (chain head does not match)")
    for anchor in anchors:
        if anchor.count > count:
            yield ChainProblem(
                0,
                f"the anchor written at {anchor.at} counted {anchor.count} events; "
                f"the trail holds {count}",
            )
