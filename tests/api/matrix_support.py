"""The generated authorization matrix of the REST API (test_api_access_matrix.py).

Every operation is read from the API object itself (`lasting.api.api.api`), so a new
operation without its row in `tests/api/access_matrix.py` fails the test. Each is called
by every caller of the browser matrix (tests/web/access_matrix_support.py), the staff
with API tokens of their own and Paul with his portal session cookie, on the browser
matrix's world (Paul's check-in with item 9, his esketamine session, alert, proposal,
appointment and plan). A refusal must change nothing but the audit trail, and no caller
who may not see Paul finds his secrets in the body.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.test import Client
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.api.api import api
from lasting.checkins.models import CheckIn
from tests.api.support import api_client, token_for
from tests.factories import reading_rows, session_fields
from tests.personas import Personas
from tests.web.access_matrix_support import (
    CALLERS,
    NEVER_SEE_PAUL,
    PAUL_SECRETS,
    SCHEDULER_NEVER_SEES,
    make_matrix_world,
    portal_client,
    row_counts,
)

REFUSALS = {"401", "403", "404", "405"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as declared, e.g. /patients/{patient_id}

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def list_operations() -> list[Operation]:
    """Every operation the API object serves, in declaration order."""
    operations = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.append(Operation(method, path))
    return operations


def json_value(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def bodies(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A valid body for every POST, so an allowed caller succeeds and a refused one is
    refused for who they are, not for what they sent."""
    personas: Personas = world["personas"]
    arguments = world["arguments"]
    zone = personas.clinic.time_zone
    today = today_in(zone)
    at_two = datetime.combine(today + timedelta(days=2), time(14), tzinfo=ZoneInfo(zone))
    started_at = timezone.now() - timedelta(hours=3)
    session = {**session_fields(started_at), "vitals": reading_rows(started_at)}
    return {
        "/patients/{patient_id}/checkins": {
            "answers": {"phq9": {f"q{n}": 1 for n in range(1, 9)} | {"q9": 0}}
        },
        "/patients/{patient_id}/sessions": json.loads(json.dumps(session, default=json_value)),
        "/alerts/{alert_id}/acknowledge": {},
        "/alerts/{alert_id}/contact-attempts": {"outcome": "reached", "note": "Spoke to him"},
        "/proposals/{proposal_id}/accept": {
            "starts_at": at_two.isoformat(),
            "location_id": arguments["location_id"],
        },
        "/proposals/{proposal_id}/move": {
            "earliest_on": str(today + timedelta(days=1)),
            "latest_on": str(today + timedelta(days=8)),
            "note": "after his holiday",
        },
        "/proposals/{proposal_id}/decline": {"reason": "Doing well"},
        "/appointments": {
            "patient_id": arguments["patient_id"],
            "kind": "booster",
            "starts_at": (at_two + timedelta(hours=3)).isoformat(),
            "location_id": arguments["location_id"],
        },
    }


def make_api_world(personas: Personas) -> dict[str, Any]:
    world = make_matrix_world(personas)
    checkin = CheckIn.objects.get(patient=personas.paul)
    world["arguments"]["checkin_id"] = checkin.pk
    world["bodies"] = bodies(world)
    clients: dict[str, Client] = {"anonymous": Client(), "paul": portal_client(personas)}
    for name in CALLERS[2:]:
        clients[name] = api_client(token_for(personas, name))
    world["clients"] = clients
    return world


def outcome_of(response: Any) -> str:
    status = response.status_code
    return "ok" if status == 200 else str(status)


def check_operation(world: dict[str, Any], operation: Operation, expected: str) -> None:
    """Call the operation as every caller; compare with the table's row and check leaks."""
    path = "/api/v1" + operation.path.format(**world["arguments"])
    body = world["bodies"].get(operation.path, {})
    outcomes, problems = [], []
    for caller, wanted in zip(CALLERS, expected.split(), strict=True):
        client: Client = world["clients"][caller]
        jar = copy.deepcopy(client.cookies)
        before = row_counts()
        with transaction.atomic():
            if operation.method == "POST":
                response = client.post(
                    path,
                    body,
                    content_type="application/json",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
            else:
                response = client.generic(operation.method, path)
            changed = sorted(k for k, v in row_counts().items() if before.get(k) != v)
            transaction.set_rollback(True)
        client.cookies = jar
        outcome = outcome_of(response)
        outcomes.append(outcome)
        if outcome != wanted:
            problems.append(f"{caller}: {outcome}, expected {wanted} ({response.content[:200]!r})")
        if outcome in REFUSALS:
            if changed:
                problems.append(f"{caller}: refused, yet changed {changed}")
            if response["Content-Type"] != "application/problem+json":
                problems.append(f"{caller}: refused without a problem document")
        secrets = PAUL_SECRETS if caller in NEVER_SEE_PAUL or outcome in REFUSALS else ()
        if caller == "sam_front" and outcome not in REFUSALS:
            secrets = SCHEDULER_NEVER_SEES
        shown = [secret for secret in secrets if secret.encode() in response.content]
        if shown:
            problems.append(f"{caller}: the response shows {shown}")
    assert not problems, f"{operation.key} ({' '.join(outcomes)}): " + "; ".join(problems)
