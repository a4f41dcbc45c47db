"""Reads of the FHIR interface: each resource type's rows, scoped by the caller's
organisation and role through `accounts.rules` and the apps' `*_for` queries.

A role that may not see a resource type gets PermissionDenied (403) whatever the id; a
row of another organisation, or none, is Http404 (never reveal existence). Schedulers
see Patient and Appointment; nurses never the engine's alerts or the maintenance plan
(it carries the engine's policy), as on the clinic's pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import Alert
from lasting.alerts.queries import visible_alerts
from lasting.checkins.models import Response
from lasting.fhir import resources
from lasting.fhir.replies import Resource
from lasting.fhir.searching import (
    Page,
    check_parameters,
    date_filter,
    day_filter,
    invalid,
    read_patient_id,
    text_of,
)
from lasting.patients.queries import list_patients_for
from lasting.plans.models import MaintenancePlan
from lasting.prevention.models import PlanVersion
from lasting.prevention.queries import can_read_prevention_plan
from lasting.treatment.models import Appointment, TreatmentSession

Row = TypeVar("Row", bound=Any)
SUBJECT = ("patient", "subject")
_OBSERVATION_ID = re.compile(r"(?P<response>\d{1,18})-(?P<key>[a-z0-9]{1,32})")
_CARE_PLAN_ID = re.compile(r"(?P<kind>maintenance|prevention)-(?P<pk>\d{1,18})")


@dataclass(frozen=True)
class Found:
    """One page of a search: the resources, the patients they concern, and how many
    matched in all."""

    resources: list[Resource]
    patient_ids: list[int]
    total: int


@dataclass(frozen=True)
class Search:
    """What a search needs besides the caller: its parameters, page, clock and base URL."""

    query: QueryDict
    page: Page
    time_zone: str
    base: str


def _clinical(membership: Membership | None) -> Membership:
    if not rules.can_view_clinical_record(membership):
        raise PermissionDenied("Your role cannot read the clinical record.")
    return membership


def _one(rows: QuerySet[Row], resource_id: str) -> Row:
    if not resource_id.isdigit() or len(resource_id) > 18:
        raise Http404("No such resource.")
    row = rows.filter(pk=int(resource_id)).first()
    if row is None:
        raise Http404("No such resource.")
    return row


def _subject(rows: QuerySet[Row], search: Search) -> QuerySet[Row]:
    patient_id = read_patient_id(search.query, *SUBJECT)
    return rows if patient_id is None else rows.filter(patient_id=patient_id)


def _paged(
    rows: QuerySet[Row],
    search: Search,
    build: Callable[[Row], Resource],
    patient_of: Callable[[Row], int] = attrgetter("patient_id"),
) -> Found:
    total = rows.count()
    page = list(rows[search.page.offset : search.page.offset + search.page.count])
    return Found([build(row) for row in page], [patient_of(row) for row in page], total)


# Patient


def read_patient(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    patient = _one(list_patients_for(membership), resource_id)
    return resources.build_patient(patient), patient.pk


def search_patients(membership: Membership | None, search: Search) -> Found:
    check_parameters(search.query, ("_id", "identifier", "name", "birthdate"))
    patients = list_patients_for(membership)
    query = search.query
    if "_id" in query:
        ids = [part for part in text_of(query, "_id").split(",") if part]
        if not all(part.isdigit() for part in ids):
            raise invalid("_id must be one or more Patient ids, separated by commas.")
        patients = patients.filter(pk__in=[int(part) for part in ids])
    if "identifier" in query:
        system, _, value = text_of(query, "identifier").rpartition("|")
        if system and system != resources.RECORD_NUMBER_SYSTEM:
            patients = patients.none()
        patients = patients.filter(record_number__iexact=value)
    for word in query.get("name", "").split():
        patients = patients.filter(
            Q(given_name__istartswith=word) | Q(family_name__istartswith=word)
        )
    patients = patients.filter(day_filter(query, "birthdate", "date_of_birth"))
    ordered = patients.order_by("family_name", "given_name", "pk")
    return _paged(ordered, search, resources.build_patient, attrgetter("pk"))


# Questionnaire (instrument definitions; no patient data)


def read_questionnaire(base: str, resource_id: str) -> Resource:
    code = resources.find_instrument_code(resource_id)
    if code is None:
        raise Http404("No such questionnaire.")
    return resources.build_questionnaire(base, code)


def search_questionnaires(search: Search) -> Found:
    check_parameters(search.query, ("_id",))
    codes = list(resources.QUESTIONNAIRES)
    if "_id" in search.query:
        wanted = text_of(search.query, "_id").split(",")
        codes = [code for code in codes if resources.questionnaire_id(code) in wanted]
    page = codes[search.page.offset : search.page.offset + search.page.count]
    built = [resources.build_questionnaire(search.base, code) for code in page]
    return Found(built, [], len(codes))


# QuestionnaireResponse and Observation: the stored responses of check-ins


def responses_for(membership: Membership | None) -> QuerySet[Response]:
    member = _clinical(membership)
    return Response.objects.filter(organization_id=member.organization_id)


def read_questionnaire_response(
    membership: Membership | None, resource_id: str, base: str
) -> tuple[Resource, int]:
    response = _one(responses_for(membership), resource_id)
    return resources.build_questionnaire_response(base, response), response.patient_id


def search_questionnaire_responses(membership: Membership | None, search: Search) -> Found:
    check_parameters(search.query, (*SUBJECT, "authored"))
    rows = _subject(responses_for(membership), search)
    rows = rows.filter(date_filter(search.query, "authored", "observed_at", search.time_zone))
    ordered = rows.order_by("observed_at", "pk")
    return _paged(
        ordered, search, lambda row: resources.build_questionnaire_response(search.base, row)
    )


def read_observation(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    match = _OBSERVATION_ID.fullmatch(resource_id)
    if match is None:
        raise Http404("No such observation.")
    response = _one(responses_for(membership), match["response"])
    if match["key"] not in resources.observation_keys(response):
        raise Http404("No such observation.")
    return resources.build_observation(response, match["key"]), response.patient_id


def search_observations(membership: Membership | None, search: Search) -> Found:
    """One patient's Observations of the responses that match, in time order, each
    response's total first, then its items; `code` keeps those with that LOINC or
    Lasting code."""
    check_parameters(search.query, (*SUBJECT, "date", "code", "category"))
    if read_patient_id(search.query, *SUBJECT) is None:
        # One patient's history is read whole to list its item Observations (as US Core,
        # which searches Observations by patient).
        raise invalid("Search Observations of one patient: add patient=<id>.")
    rows = _subject(responses_for(membership), search)
    rows = rows.filter(date_filter(search.query, "date", "observed_at", search.time_zone))
    if search.query.get("category", "survey").rpartition("|")[2] != "survey":
        rows = rows.none()
    wanted = {code.rpartition("|")[2] for code in search.query.get("code", "").split(",") if code}
    listed = []
    for row in rows.order_by("observed_at", "pk").only("pk", "instrument", "answers", "total"):
        for key in resources.observation_keys(row):
            if not wanted or wanted & resources.observation_codes(row.instrument, key):
                listed.append((row.pk, key))
    page = listed[search.page.offset : search.page.offset + search.page.count]
    loaded = Response.objects.in_bulk([pk for pk, _key in page])
    return Found(
        [resources.build_observation(loaded[pk], key) for pk, key in page],
        [loaded[pk].patient_id for pk, _key in page],
        len(listed),
    )


# Procedure: ketamine treatment sessions


def sessions_for(membership: Membership | None) -> QuerySet[TreatmentSession]:
    member = _clinical(membership)
    return TreatmentSession.objects.filter(organization_id=member.organization_id).select_related(
        "location"
    )


def read_procedure(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    session = _one(sessions_for(membership), resource_id)
    return resources.build_procedure(session), session.patient_id


def search_procedures(membership: Membership | None, search: Search) -> Found:
    check_parameters(search.query, (*SUBJECT, "date"))
    rows = _subject(sessions_for(membership), search)
    rows = rows.filter(date_filter(search.query, "date", "started_at", search.time_zone))
    return _paged(rows.order_by("started_at", "pk"), search, resources.build_procedure)


# Appointment


def appointments_for(membership: Membership | None) -> QuerySet[Appointment]:
    if not rules.can_schedule(membership):
        raise PermissionDenied("Your role has no schedule.")
    return Appointment.objects.filter(organization_id=membership.organization_id).select_related(
        "location", "clinician"
    )


def read_appointment(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    appointment = _one(appointments_for(membership), resource_id)
    return resources.build_appointment(appointment), appointment.patient_id


def search_appointments(membership: Membership | None, search: Search) -> Found:
    check_parameters(search.query, ("patient", "date"))
    rows = _subject(appointments_for(membership), search)
    rows = rows.filter(date_filter(search.query, "date", "starts_at", search.time_zone))
    return _paged(rows.order_by("starts_at", "pk"), search, resources.build_appointment)


# CarePlan: the maintenance plan (clinicians) and the relapse-prevention plan's versions


def _care_plans_visible(membership: Membership | None) -> Membership:
    if not can_read_prevention_plan(membership):
        raise PermissionDenied("Your role cannot read care plans.")
    return membership


def _prevention_plan(version: PlanVersion) -> Resource:
    latest = PlanVersion.objects.filter(patient_id=version.patient_id).order_by("-number").first()
    return resources.build_prevention_plan(version, current=latest == version)


def read_care_plan(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    member = _care_plans_visible(membership)
    match = _CARE_PLAN_ID.fullmatch(resource_id)
    if match is None:
        raise Http404("No such care plan.")
    if match["kind"] == "maintenance":
        if not rules.can_review_alerts(member):
            raise PermissionDenied("Only clinicians read the maintenance plan.")
        rows = MaintenancePlan.objects.filter(organization_id=member.organization_id)
        plan = _one(rows, match["pk"])
        return resources.build_maintenance_plan(plan), plan.patient_id
    versions = PlanVersion.objects.filter(organization_id=member.organization_id)
    version = _one(versions, match["pk"])
    return _prevention_plan(version), version.patient_id


def search_care_plans(membership: Membership | None, search: Search) -> Found:
    """Each patient's maintenance plan (clinicians) and current relapse-prevention plan."""
    member = _care_plans_visible(membership)
    check_parameters(search.query, SUBJECT)
    listed: list[tuple[int, Resource]] = []
    if rules.can_review_alerts(member):
        plans = MaintenancePlan.objects.filter(organization_id=member.organization_id)
        for plan in _subject(plans, search).order_by("patient_id", "pk"):
            listed.append((plan.patient_id, resources.build_maintenance_plan(plan)))
    versions = PlanVersion.objects.filter(organization_id=member.organization_id)
    seen: set[int] = set()
    for version in _subject(versions, search).order_by("patient_id", "-number"):
        if version.patient_id not in seen:  # the newest version is the current plan
            seen.add(version.patient_id)
            current = resources.build_prevention_plan(version, current=True)
            listed.append((version.patient_id, current))
    listed.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    page = listed[search.page.offset : search.page.offset + search.page.count]
    return Found([resource for _p, resource in page], [p for p, _r in page], len(listed))


# Flag: alerts


def read_flag(membership: Membership | None, resource_id: str) -> tuple[Resource, int]:
    """As `alerts.queries.get_alert_for`: a nurse asking for an engine alert of her own
    organisation is refused (403); another organisation's alert is not found (404)."""
    alerts = visible_alerts(membership)
    try:
        alert = _one(alerts, resource_id)
    except Http404:
        assert membership is not None  # visible_alerts refused everyone else
        same_organization = Alert.objects.filter(organization_id=membership.organization_id)
        if resource_id.isdigit() and same_organization.filter(pk=int(resource_id)).exists():
            raise PermissionDenied("Only clinicians review the engine's alerts.") from None
        raise
    return resources.build_flag(alert), alert.patient_id


def search_flags(membership: Membership | None, search: Search) -> Found:
    check_parameters(search.query, SUBJECT)
    rows = _subject(visible_alerts(membership), search)
    return _paged(rows.order_by("opened_at", "pk"), search, resources.build_flag)
