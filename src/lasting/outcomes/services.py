"""Store each organisation's outcome rows: the hourly job behind the analytics page."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lasting.outcomes.building import (
    CourseSpan,
    PatientFacts,
    course_rows,
    episode_rows,
)
from lasting.outcomes.models import CourseOutcome, OutcomeEpisode, OutcomeVersion
from lasting.patients.models import Course, Diagnosis, Patient
from lasting.risk.history import list_history_rows
from lasting.treatment.queries import list_life_context_of

log = logging.getLogger("lasting.outcomes")

# Histories are read this many patients at a time, so memory stays flat at any size.
CHUNK = 500


def facts_of(patient: Patient, courses: Sequence[CourseSpan]) -> PatientFacts:
    diagnosis = patient.diagnoses[0] if patient.diagnoses else Diagnosis.OTHER
    return PatientFacts(
        diagnosis=str(diagnosis),
        in_therapy=patient.in_therapy,
        antidepressant=patient.concurrent_antidepressant,
        courses=tuple(courses),
    )


def refresh_outcomes(
    organization_id: int,
    patient_ids: Iterable[int] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Recompute the stored episodes and course outcomes of the organisation's patients
    (or of `patient_ids`), replacing theirs in one transaction; return the episodes
    stored. Idempotent: the same record gives the same rows."""
    now = now or timezone.now()
    patients_query = Patient.objects.filter(organization_id=organization_id).order_by("pk")
    if patient_ids is not None:
        patients_query = patients_query.filter(pk__in=list(patient_ids))
    patients = list(
        patients_query.only(
            "pk",
            "organization_id",
            "time_zone",
            "diagnoses",
            "in_therapy",
            "concurrent_antidepressant",
            "location_id",
            "assigned_clinician_id",
        )
    )
    wanted = None if patient_ids is None else [patient.pk for patient in patients]
    course_query = Course.objects.filter(organization_id=organization_id)
    if wanted is not None:
        course_query = course_query.filter(patient_id__in=wanted)
    spans: dict[int, list[CourseSpan]] = {}
    for course_id, patient_id, started_on, ended_on in course_query.order_by(
        "patient_id", "started_on", "number"
    ).values_list("pk", "patient_id", "started_on", "ended_on"):
        spans.setdefault(patient_id, []).append(CourseSpan(course_id, started_on, ended_on))
    episodes: list[OutcomeEpisode] = []
    courses: list[CourseOutcome] = []
    for start in range(0, len(patients), CHUNK):
        chunk = patients[start : start + CHUNK]
        histories = list_history_rows(chunk, now)
        life = list_life_context_of(chunk)
        for patient in chunk:
            facts = facts_of(patient, spans.get(patient.pk, []))
            rows = histories[patient.pk]
            shared = {
                "organization_id": organization_id,
                "patient_id": patient.pk,
                "location_id": patient.location_id,
                "clinician_id": patient.assigned_clinician_id,
            }
            episodes += [
                OutcomeEpisode(**shared, **vars(row))
                for row in episode_rows(rows, facts, life.get(patient.pk))
            ]
            courses += [CourseOutcome(**shared, **vars(row)) for row in course_rows(rows, facts)]
    old_episodes = OutcomeEpisode.objects.filter(organization_id=organization_id)
    old_courses = CourseOutcome.objects.filter(organization_id=organization_id)
    if wanted is not None:
        old_episodes = old_episodes.filter(patient_id__in=wanted)
        old_courses = old_courses.filter(patient_id__in=wanted)
    with transaction.atomic():
        old_episodes.delete()
        old_courses.delete()
        OutcomeEpisode.objects.bulk_create(episodes, batch_size=2000)
        CourseOutcome.objects.bulk_create(courses, batch_size=2000)
        bump_version(organization_id, now)
    log.info(
        "outcomes refreshed",
        extra={"organization_id": organization_id, "patients": len(patients)},
    )
    return len(episodes)


def bump_version(organization_id: int, now: datetime) -> int:
    """Mark the organisation's outcome rows as new (the analytics cache keys on it)."""
    version, _ = OutcomeVersion.objects.select_for_update().get_or_create(
        organization_id=organization_id, defaults={"refreshed_at": now}
    )
    version.version += 1
    version.refreshed_at = now
    version.save(update_fields=["version", "refreshed_at"])
    return version.version
