"""FHIR R4 interactions: parse → query or service → render `application/fhir+json`.

Every interaction but `metadata` needs a personal API token (`Authorization: Bearer`);
a browser session, staff or patient, is not a credential here (401). Reads are audited
with the patient's id, searches with every patient the page showed, refusals with the id
that was asked for; a stored QuestionnaireResponse is audited by the one door.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from lasting.accounts.apitokens import bearer_secret, sign_in_with_token
from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event, record_patients_shown
from lasting.fhir import queries
from lasting.fhir.capability import build_capability_statement
from lasting.fhir.replies import (
    FhirError,
    Resource,
    base_url,
    fhir_response,
    operation_outcome,
    searchset,
)
from lasting.fhir.resources import build_questionnaire_response
from lasting.fhir.searching import read_page
from lasting.fhir.services import receive_questionnaire_response

Reader = Callable[[Membership, str, str], tuple[Resource, int | None]]
Searcher = Callable[[Membership, queries.Search], queries.Found]

READERS: dict[str, Reader] = {
    "Patient": lambda member, rid, base: queries.read_patient(member, rid),
    "Questionnaire": lambda member, rid, base: (queries.read_questionnaire(base, rid), None),
    "QuestionnaireResponse": queries.read_questionnaire_response,
    "Observation": lambda member, rid, base: queries.read_observation(member, rid),
    "Procedure": lambda member, rid, base: queries.read_procedure(member, rid),
    "Appointment": lambda member, rid, base: queries.read_appointment(member, rid),
    "CarePlan": lambda member, rid, base: queries.read_care_plan(member, rid),
    "Flag": lambda member, rid, base: queries.read_flag(member, rid),
}
SEARCHERS: dict[str, Searcher] = {
    "Patient": queries.search_patients,
    "Questionnaire": lambda member, search: queries.search_questionnaires(search),
    "QuestionnaireResponse": queries.search_questionnaire_responses,
    "Observation": queries.search_observations,
    "Procedure": queries.search_procedures,
    "Appointment": queries.search_appointments,
    "CarePlan": queries.search_care_plans,
    "Flag": queries.search_flags,
}

View = Callable[..., HttpResponse]


def interaction(action: Action, methods: tuple[str, ...]) -> Callable[[View], View]:
    """Check the method and the token, then turn refusals into OperationOutcomes.

    A refusal (403, 404) is audited with `action` (CREATE for a POST) and the resource
    asked for.
    """

    def decorate(view: View) -> View:
        @csrf_exempt  # a bearer token, never a cookie, is the credential
        @wraps(view)
        def wrapper(request: HttpRequest, resource_type: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return not_allowed(request, methods)
            secret = bearer_secret(request)
            membership = sign_in_with_token(request, secret) if secret else None
            if membership is None:
                return operation_outcome(
                    401, "login", "Send a personal API token: Authorization: Bearer <token>."
                )
            try:
                return view(request, membership, resource_type, **kwargs)
            except FhirError as error:
                return operation_outcome(error.status, error.code, error.message)
            except (PermissionDenied, Http404) as refused:
                reference = (resource_type, kwargs.get("resource_id", "search"))
                record_event(
                    Actor.from_request(request),
                    Action.CREATE if request.method == "POST" else action,
                    outcome=Outcome.DENIED,
                    organization_id=membership.organization_id,
                    object_ref=reference,
                )
                if isinstance(refused, PermissionDenied):
                    return operation_outcome(403, "forbidden", "Your role cannot read this.")
                return operation_outcome(404, "not-found", f"No such {resource_type}.")

        return wrapper

    return decorate


def not_allowed(request: HttpRequest, methods: tuple[str, ...]) -> HttpResponse:
    response = operation_outcome(405, "not-supported", f"{request.method} is not supported here.")
    response["Allow"] = ", ".join(methods)
    return response


@csrf_exempt  # no cookie is a credential here: a POST gets its 405 as an OperationOutcome
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: open to anyone, it holds no patient data."""
    if request.method != "GET":
        return not_allowed(request, ("GET",))
    return fhir_response(build_capability_statement(base_url(request), timezone.now()))


@csrf_exempt
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /fhir/: a resource type or operation this server lacks."""
    return operation_outcome(404, "not-supported", "This server has no such resource type.")


@interaction(Action.READ, ("GET",))
def read(
    request: HttpRequest, membership: Membership, resource_type: str, resource_id: str
) -> HttpResponse:
    resource, patient_id = READERS[resource_type](membership, resource_id, base_url(request))
    if patient_id is not None:
        record_event(
            Actor.from_request(request),
            Action.READ,
            patient_id=patient_id,
            organization_id=membership.organization_id,
            object_ref=(resource_type, resource_id),
        )
    return fhir_response(resource)


def run_search(request: HttpRequest, membership: Membership, resource_type: str) -> HttpResponse:
    search = queries.Search(
        query=request.GET,
        page=read_page(request.GET),
        time_zone=membership.organization.time_zone,
        base=base_url(request),
    )
    found = SEARCHERS[resource_type](membership, search)
    if resource_type != "Questionnaire":
        record_patients_shown(
            Actor.from_request(request),
            Action.SEARCH,
            sorted(set(found.patient_ids)),
            organization_id=membership.organization_id,
            list_name=f"fhir:{resource_type}",
        )
    return searchset(
        request,
        found.resources,
        total=found.total,
        offset=search.page.offset,
        count=search.page.count,
    )


@interaction(Action.SEARCH, ("GET",))
def search(request: HttpRequest, membership: Membership, resource_type: str) -> HttpResponse:
    return run_search(request, membership, resource_type)


@interaction(Action.SEARCH, ("GET", "POST"))
def questionnaire_responses(
    request: HttpRequest, membership: Membership, resource_type: str
) -> HttpResponse:
    """GET searches; POST creates (scored and stored through the one door)."""
    if request.method == "GET":
        return run_search(request, membership, resource_type)
    received = receive_questionnaire_response(
        Actor.from_request(request),
        membership,
        request.body,
        idempotency_key=request.headers.get("Idempotency-Key"),
        now=timezone.now(),
    )
    base = base_url(request)
    response = fhir_response(
        build_questionnaire_response(base, received.response),
        status=201 if received.created else 200,
    )
    response["Location"] = f"{base}/QuestionnaireResponse/{received.response.pk}"
    return response
