"""Reads of patients, always scoped to the reader's organisation and role."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Course, Patient, Phase


def list_patients_for(membership: Membership | None) -> QuerySet[Patient]:
    """Every patient the member's role may see; empty for anyone else."""
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role cannot view patient records.")
    return Patient.objects.filter(organization_id=membership.organization_id)


def get_patient_for(
    membership: Membership | None, patient_id: int, *, actor: Actor | None = None
) -> Patient:
    """The patient if the member may see them; 404 otherwise (never reveal existence).

    With an `actor`, a refusal is audited with the id that was asked for.
    """
    try:
        return (
            list_patients_for(membership)
            .select_related("assigned_clinician", "location")
            .get(pk=patient_id)
        )
    except (Patient.DoesNotExist, PermissionDenied) as refused:
        if actor is not None:
            record_event(
                actor, Action.READ, outcome=Outcome.DENIED, object_ref=("Patient", patient_id)
            )
        if isinstance(refused, PermissionDenied):
            raise
        raise Http404("No such patient.") from refused


ACTIVE_PHASES = (Phase.EVALUATION, Phase.INDUCTION, Phase.MAINTENANCE)


def current_phase() -> Subquery:
    """The phase of each patient's latest course, to annotate a patient queryset with."""
    return Subquery(
        Course.objects.filter(patient=OuterRef("pk")).order_by("-number").values("phase")[:1]
    )


def find_current_course(patient: Patient) -> Course | None:
    return patient.courses.order_by("-number").first()


SEARCH_LIMIT = 20
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")


def parse_birth_date(text: str) -> date | None:
    """A date of birth typed as 1985-04-12, 04/12/1985 or 4/12/85; else None."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None


def search_patients_for(membership: Membership | None, text: str) -> list[Patient]:
    """Patients whose name, record number, date of birth or phone matches `text`.

    1. A date (1985-04-12, 04/12/1985) matches the date of birth.
    2. Four or more digits (with spaces, dashes, brackets) match the end of a phone number
       or the start of a record number.
    3. Otherwise every word must start the given name, the family name or the record
       number ("ana mor" finds Ana Moreno).
    At most SEARCH_LIMIT patients, by name; one query whatever the clinic's size.
    """
    patients = list_patients_for(membership)
    text = " ".join(text.split())[:100]
    if not text:
        return []
    born = parse_birth_date(text)
    digits = re.sub(r"[\s().+-]", "", text)
    if born is not None:
        patients = patients.filter(date_of_birth=born)
    elif len(digits) >= 4 and digits.isdigit():
        patients = patients.filter(Q(phone__endswith=digits) | Q(record_number__istartswith=text))
    else:
        for word in text.split():
            patients = patients.filter(
                Q(given_name__istartswith=word)
                | Q(family_name__istartswith=word)
                | Q(record_number__istartswith=word)
            )
    return list(
        patients.select_related("location").order_by("family_name", "given_name", "pk")[
            :SEARCH_LIMIT
        ]
    )
