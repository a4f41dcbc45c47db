"""The world and the callers of the generated authorization matrix (test_access_matrix_*.py).

Every URL pattern of the project is read from the resolver; each is requested by every
caller below, with GET and with an empty POST, and the outcome is compared with one table
(`tests/web/access_matrix.py`). A route missing from the table fails the test, so a new
page cannot ship without its row.

Callers (their rights: tests/personas.py):
    anonymous   nobody signed in
    paul        Paul, signed in to the patient portal (his own pages only)
    admin_dora  Clinic A's admin (set-up, no charts)
    dr_ana      Clinic A's clinician who treats Paul
    rn_cara     Clinic A's nurse
    sam_front   Clinic A's scheduler
    dr_olga     a clinician of Clinic B: every object of Clinic A answers 404
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from lasting.accounts.apitokens import create_api_token
from lasting.accounts.clocks import today_in
from lasting.accounts.models import Invitation, Location, Role
from lasting.alerts.models import Alert
from lasting.evaluations.models import EvaluationRequest
from lasting.plans.models import BoosterProposal
from lasting.portal.services import email_digest
from lasting.portal.sessions import (
    SESSION_EMAIL,
    SESSION_LAST_SEEN,
    SESSION_ORGANIZATION,
    SESSION_PATIENT,
    SESSION_SIGNED_IN_AT,
)
from lasting.prevention.models import AnswerType, Direction
from lasting.prevention.services import ItemDraft, save_plan_version
from lasting.treatment.models import Appointment, Route, SessionKind
from tests.factories import make_phq9, make_session
from tests.personas import Personas, client_for

CALLERS = ("anonymous", "paul", "admin_dora", "dr_ana", "rn_cara", "sam_front", "dr_olga")
# Text that only Paul's record holds: a denied caller's response must not contain it.
PAUL_SECRETS = ("Moreno", "PAUL-REC-4242", "LOT-4471")
# Tables a denied request may still write: its own audit event, sessions, throttling.
MAY_CHANGE = {"audit.auditevent", "audit.chainhead", "sessions.session"}


@dataclass(frozen=True)
class RouteCase:
    name: str  # namespace:name
    pattern: str
    path: str


def _walk(
    patterns: list[Any], prefix: str, namespace: str
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield name, prefix + str(entry.pattern), entry


# Interfaces whose callers sign in with an API token, not a browser session: each has its
# own generated table of every operation against every role and another organisation.
TOKEN_NAMESPACES = ("api", "fhir")


def list_routes() -> list[tuple[str, str, list[str]]]:
    """Every named route of the browser pages: (namespace:name, pattern, parameter names)."""
    routes = []
    for name, pattern, entry in _walk(get_resolver().url_patterns, "", ""):
        if name.split(":")[0] in TOKEN_NAMESPACES:
            continue
        parameters = list(entry.pattern.converters)
        routes.append((name, pattern, parameters))
    return routes


def make_matrix_world(personas: Personas) -> dict[str, Any]:
    """One of every object a route can name, all of Clinic A, around Paul."""
    clinic, paul, dr_ana = personas.clinic, personas.paul, personas.dr_ana
    paul.phone, paul.email, paul.record_number = "+15555550142", "paul@ex.org", "PAUL-REC-4242"
    paul.portal_access = True
    paul.save()
    checkin = make_phq9(paul, 20, item9=2)
    alert = Alert.objects.get(response__checkin=checkin)
    session = make_session(
        paul,
        route=Route.INTRANASAL_ESKETAMINE,
        lot_number="LOT-4471",
        sedation=3,
        started_at=timezone.now() - timedelta(days=2),
    )
    today = today_in(clinic.time_zone)
    appointment = Appointment.objects.create(
        organization=clinic,
        patient=paul,
        kind=SessionKind.BOOSTER,
        starts_at=timezone.now() + timedelta(days=5),
    )
    proposal = BoosterProposal.objects.create(
        organization=clinic,
        patient=paul,
        policy="forecast",
        created_at=timezone.now(),
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="forecast: 62% chance of relapse within 3 weeks",
    )
    location = Location.objects.create(organization=clinic, name="Main St", chairs=3)
    invitation = Invitation.objects.create(
        organization=clinic,
        email="new@clinic-a.example",
        role=Role.STAFF,
        token_hash="0" * 64,
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    from lasting.audit.services import Actor

    actor = Actor(dr_ana.user.pk, dr_ana.user.get_username(), clinic.pk, None, "")
    api_token, _secret = create_api_token(actor, dr_ana, "matrix")
    save_plan_version(
        actor,
        dr_ana,
        paul,
        sections={"coping_strategies": "Walk the dog", "warning_signs": "Sleeping badly"},
        items=[
            ItemDraft(
                warning_sign="Sleeping under 6 hours",
                question="How many hours did you sleep last night?",
                answer_type=AnswerType.HOURS,
                threshold=6,
                direction=Direction.AT_OR_BELOW,
            )
        ],
        reason="first plan",
    )
    request = EvaluationRequest.objects.create(
        organization=clinic,
        given_name="Rita",
        family_name="Requester",
        date_of_birth=date(1980, 1, 1),
        email="rita@ex.org",
        reason="Low mood for a year",
        idempotency_key="k" * 32,
        received_at=timezone.now(),
    )
    arguments = {
        "patient_id": paul.pk,
        "session_id": session.pk,
        "alert_id": alert.pk,
        "proposal_id": proposal.pk,
        "appointment_id": appointment.pk,
        "location_id": location.pk,
        "membership_id": personas.rn_cara.pk,
        "invitation_id": invitation.pk,
        "token_id": api_token.pk,
        "request_id": request.pk,
        "number": 1,
        "language": "en",
        "slug": clinic.slug,
        "token": "not-a-real-token",
        "uidb64": "AA",
    }
    return {"personas": personas, "arguments": arguments}


def path_of(name: str, parameters: list[str], world: dict[str, Any]) -> str:
    values = world["arguments"]
    return reverse(name, kwargs={p: values[p] for p in parameters})


def portal_client(personas: Personas) -> Client:
    """A client signed in to the portal as Paul (the session the sign-in link opens)."""
    client = Client()
    session = client.session
    now = time.time()
    session[SESSION_PATIENT] = personas.paul.pk
    session[SESSION_ORGANIZATION] = personas.paul.organization_id
    session[SESSION_SIGNED_IN_AT] = now
    session[SESSION_LAST_SEEN] = now
    session[SESSION_EMAIL] = email_digest(personas.paul.email)
    session.save()
    return client


def clients_for(personas: Personas) -> dict[str, Client]:
    clients = {"anonymous": Client(), "paul": portal_client(personas)}
    for name in CALLERS[2:]:
        clients[name] = client_for(name)
    return clients


def row_counts() -> dict[str, int]:
    """Rows per table, for "a denied request changes nothing" (one query for all tables)."""
    models = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in MAY_CHANGE and model._meta.managed
    ]
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT '{model._meta.label_lower}', COUNT(*) FROM {quote(model._meta.db_table)}"
        for model in models
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {str(label): int(count) for label, count in cursor.fetchall()}


def outcome_of(response: Any) -> str:
    """One word for a response: ok, moved (a redirect elsewhere), sign_in, portal_sign_in,
    or the status code of a refusal."""
    status = response.status_code
    if status in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("accounts:login")):
            return "sign_in"
        if location.startswith(reverse("portal:sign_in")):
            return "portal_sign_in"
        return "moved"
    if status == 200:
        return "ok"
    return str(status)


# Outcomes that refuse: the request must change nothing.
REFUSALS = {"sign_in", "portal_sign_in", "403", "404", "405"}
# Callers who may never see Paul's record, whatever the route answers; the scheduler may
# see his name and contact details but never a session's detail.
NEVER_SEE_PAUL = {"anonymous", "admin_dora", "dr_olga"}
SCHEDULER_NEVER_SEES = ("LOT-4471",)


def check_route(
    world: dict[str, Any], name: str, parameters: list[str], method: str, expected: str
) -> None:
    """Request the route as every caller; compare with the table's row and check leaks."""
    path = path_of(name, parameters, world)
    clients: dict[str, Client] = world["clients"]
    outcomes = []
    problems = []
    for caller, wanted in zip(CALLERS, expected.split(), strict=True):
        client = clients[caller]
        jar = copy.deepcopy(client.cookies)
        before = row_counts()
        with transaction.atomic():
            response = getattr(client, method)(path)
            changed = sorted(k for k, v in row_counts().items() if before.get(k) != v)
            transaction.set_rollback(True)
        client.cookies = jar  # a sign-out or a new session must not leak into the next test
        outcome = outcome_of(response)
        outcomes.append(outcome)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if outcome != wanted:
            problems.append(f"{caller}: {outcome}, expected {wanted}")
        if outcome in REFUSALS and changed:
            problems.append(f"{caller}: refused, yet changed {changed}")
        secrets = PAUL_SECRETS if caller in NEVER_SEE_PAUL else ()
        if caller == "sam_front":
            secrets = SCHEDULER_NEVER_SEES
        shown = [secret for secret in secrets if secret.encode() in body]
        if shown:
            problems.append(f"{caller}: the response shows {shown}")
    assert not problems, f"{method.upper()} {path} ({' '.join(outcomes)}): " + "; ".join(problems)
