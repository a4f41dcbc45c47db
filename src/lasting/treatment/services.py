"""Session-safety checks, the REMS patient-monitoring form, and what the writers share.

Sessions and clinical events are stored by `lasting.treatment.writers`, behind the one
door (`lasting.intake.services`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Membership
from lasting.accounts.rules import CLINICAL_ROLES
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about
from lasting.patients.models import Patient
from lasting.treatment.models import (
    MonitoringForm,
    TreatmentSession,
)
from lasting_core import sessions as safety

SESSION_RULES = safety.SessionRules()
ESKETAMINE_ONLY_FIELDS = ("ready_to_leave_minutes", *safety.REMS_YES_NO_FIELDS)


class SessionNeedsConfirmation(ValidationError):
    """The session may be stored only with a confirmed reason for these findings."""

    def __init__(self, findings: Sequence[safety.Finding], message: str) -> None:
        super().__init__({"confirmed_reason": [message]})
        self.findings = tuple(findings)


def session_record(
    fields: Mapping[str, Any], vitals: Sequence[Mapping[str, Any]]
) -> safety.SessionRecord:
    """Turn a session's fields and vital-sign rows into the core's plain record."""
    clinician = fields.get("monitoring_clinician")
    dose_mg, dose_mg_per_kg = fields.get("dose_mg"), fields.get("dose_mg_per_kg")
    return safety.SessionRecord(
        route=safety.Route(fields["route"]),
        started_at=fields["started_at"],
        ended_at=fields.get("ended_at"),
        dose_mg=None if dose_mg is None else float(dose_mg),
        dose_mg_per_kg=None if dose_mg_per_kg is None else float(dose_mg_per_kg),
        dose_reason=fields.get("dose_reason") or "",
        lot_number=fields.get("lot_number") or "",
        sedation=fields.get("sedation"),
        dissociation=fields.get("dissociation"),
        respiratory_depression=bool(fields.get("respiratory_depression")),
        readings=tuple(
            safety.Reading(
                phase=safety.ReadingPhase(row["phase"]),
                measured_at=row["measured_at"],
                systolic_mmhg=row["systolic_mmhg"],
                diastolic_mmhg=row["diastolic_mmhg"],
                heart_rate_bpm=row["heart_rate_bpm"],
                spo2_percent=row["spo2_percent"],
            )
            for row in vitals
        ),
        monitoring_clinician=clinician.display_name if clinician is not None else "",
        ready_to_leave_minutes=fields.get("ready_to_leave_minutes"),
        **{name: fields.get(name) for name in safety.REMS_YES_NO_FIELDS},
    )


def refusal(review: safety.SessionReview) -> ValidationError:
    """The review's problems as one ValidationError, keyed by the field each belongs to."""
    by_field: dict[str, list[str]] = {}
    for problem in review.problems:
        by_field.setdefault(problem.field, []).append(problem.message)
    return ValidationError(by_field)


def check_monitoring_clinician(patient: Patient, fields: Mapping[str, Any]) -> None:
    """The clinician who monitored must be a nurse or clinician of the patient's clinic."""
    clinician = fields.get("monitoring_clinician")
    if clinician is None:
        return
    team = Membership.objects.filter(
        user=clinician,
        organization_id=patient.organization_id,
        is_active=True,
        role__in=CLINICAL_ROLES,
    )
    if not team.exists():
        raise ValidationError(
            {"monitoring_clinician": ["Choose a nurse or clinician of this clinic."]}
        )


def session_on(session: TreatmentSession) -> date:
    """The session's date on the organisation's clock (the REMS counts calendar days)."""
    return today_in(session.organization.time_zone, session.started_at)


def open_monitoring_form(session: TreatmentSession) -> MonitoringForm:
    """Open the REMS patient-monitoring form of an esketamine session, due in 7 days."""
    return MonitoringForm.objects.create(
        organization_id=session.organization_id,
        patient_id=session.patient_id,
        session=session,
        due_on=safety.monitoring_form_due_on(session_on(session), SESSION_RULES.esketamine),
    )


@transaction.atomic
def record_form_submission(
    actor: Actor, form: MonitoringForm, submitted_on: date, reference: str = ""
) -> MonitoringForm:
    """Record that the REMS patient-monitoring form was submitted, when and by whom."""
    if actor.user_id is None:
        raise ValidationError("A person records a submission to the REMS, not a job.")
    form = (
        MonitoringForm.objects.select_for_update()
        .select_related("session__organization")
        .get(pk=form.pk)
    )
    if form.submitted_on is not None:
        raise ValidationError(
            {"submitted_on": [f"Already recorded as submitted on {form.submitted_on:%Y-%m-%d}."]}
        )
    today = today_in(form.session.organization.time_zone)
    if submitted_on > today:
        raise ValidationError({"submitted_on": ["The submission date is in the future."]})
    if submitted_on < session_on(form.session):
        raise ValidationError(
            {"submitted_on": ["The form cannot be submitted before the session."]}
        )
    form.submitted_on = submitted_on
    form.submission_reference = reference.strip()
    form.submitted_by_id = actor.user_id
    form.submission_recorded_at = timezone.now()
    form.full_clean()
    form.save()
    record_about(actor, Action.UPDATE, form)
    return form


def check_life_context_day(patient: Patient, day: date, *, now: datetime | None = None) -> None:
    """Refuse a life event, medication change or therapy date the patient has not reached.

    The date is a day of the patient's life, so "today" is the patient's (their time
    zone), not the clinic's or the server's; nor can it fall before their birth.
    """
    today = today_in(patient.time_zone, now)
    if day > today:
        raise ValidationError(
            f"The date cannot be after today on the patient's clock ({today:%b} {today.day}, "
            f"{today.year}, {patient.time_zone})."
        )
    if day < patient.date_of_birth:
        raise ValidationError("The date cannot be before the patient's date of birth.")
