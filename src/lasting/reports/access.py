"""Right of access: everything Lasting holds about one patient, as JSON and as a PDF.

A patient may have a copy of their whole record (HIPAA §164.524, GDPR art. 15). The
tables are found, not listed: `list_record_models` walks every installed model and keeps
those that point at a patient, directly or through another such table (a vital sign
through its session, a delivery attempt through its reminder), so a new table joins the
export the day it is created. `SECTION_OF` only gives each table a heading and an order;
a table it does not name still goes out, under "Other records", and
tests/reports/test_right_of_access.py fails until it is named.

Withheld: secrets (every field named like a token, hash, digest, key, secret, password
or lease: link and feed tokens, sign-in digests, idempotency keys) and the keys that
only repeat whose record it is (the patient, the organisation). Staff appear by name
(who recorded, who decided, who read the record); no other patient's row is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Field, Model, Q
from django.http import Http404
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Location, Membership, Organization, User
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient

RECORD_OBJECT = "PatientRecord"
RECORD_FORMAT = "lasting-record/1"
SECRET_NAME = re.compile(r"token|hash|digest|secret|password|key|lease")

# Each table's heading; sections come in the order of their first table here.
SECTION_OF = {
    "patients.Patient": "Demographics and contact",
    "outreach.ContactPreference": "Demographics and contact",
    "patients.Course": "Courses and diagnoses",
    "evaluations.EvaluationRequest": "Evaluation request",
    "evaluations.StatusChange": "Evaluation request",
    "treatment.TreatmentSession": "Treatment sessions, vital signs and monitoring forms",
    "treatment.VitalSign": "Treatment sessions, vital signs and monitoring forms",
    "treatment.MonitoringForm": "Treatment sessions, vital signs and monitoring forms",
    "treatment.ClinicalEvent": "Clinical events",
    "checkins.CheckIn": "Check-ins, answers and scores",
    "checkins.Response": "Check-ins, answers and scores",
    "checkins.ScheduledCheckIn": "Check-ins, answers and scores",
    "checkins.CheckInLink": "Check-ins, answers and scores",
    "prevention.PersonalItem": "Personal warning signs and answers",
    "prevention.PersonalItemAnswer": "Personal warning signs and answers",
    "prevention.PlanVersion": "Relapse-prevention plan (every version)",
    "treatment.LifeEvent": "Life events, medication and therapy",
    "treatment.MedicationChange": "Life events, medication and therapy",
    "treatment.TherapyEvent": "Life events, medication and therapy",
    "alerts.Alert": "Alerts, acknowledgements and contact outcomes",
    "alerts.ContactAttempt": "Alerts, acknowledgements and contact outcomes",
    "plans.MaintenancePlan": "Maintenance plan and booster proposals",
    "plans.MaintenancePlanChange": "Maintenance plan and booster proposals",
    "plans.BoosterProposal": "Maintenance plan and booster proposals",
    "treatment.Appointment": "Appointments",
    "schedule.CalendarFeed": "Appointments",
    "outreach.Reminder": "Messages, reminders and sign-in requests",
    "outreach.DeliveryAttempt": "Messages, reminders and sign-in requests",
    "outreach.OutreachAttempt": "Messages, reminders and sign-in requests",
    "portal.SignInRequest": "Messages, reminders and sign-in requests",
    "risk.RiskAssessment": "Risk assessments by the early-warning engine",
    "costs.CostForecast": "Costs",
    "outcomes.OutcomeEpisode": "Outcome analytics",
    "outcomes.CourseOutcome": "Outcome analytics",
}
OTHER_SECTION = "Other records"
ACCESS_SECTION = "Who accessed this record"
# The audit trail's columns a patient reads; the address, request id and chain hashes
# are the clinic's security data, not the patient's.
EMPTY = "—"
# Longer values (the engine's saved state, some 20,000 characters a day) are cut on the
# page and in the PDF, which would otherwise run to hundreds of pages; the JSON holds them.
LONGEST_WORDS = 400
AUDIT_COLUMNS = ("at", "username", "action", "object_type", "object_id", "outcome")


@dataclass(frozen=True)
class RecordTable:
    """One table's rows of the record: values for JSON, `lines` in words for people."""

    label: str
    title: str
    rows: tuple[dict[str, Any], ...]
    lines: tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class RecordSection:
    title: str
    tables: tuple[RecordTable, ...]


@dataclass(frozen=True)
class PatientRecord:
    """Everything held about one patient, read once and already access-checked."""

    patient: Patient
    generated_at: datetime
    sections: tuple[RecordSection, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.patient.time_zone)

    def as_json(self) -> str:
        document = {
            "format": RECORD_FORMAT,
            "generated_at": self.generated_at.isoformat(),
            "patient_id": self.patient.pk,
            "organization": self.patient.organization.name,
            "sections": [
                {
                    "title": section.title,
                    "tables": [
                        {"table": table.label, "title": table.title, "rows": list(table.rows)}
                        for table in section.tables
                    ],
                }
                for section in self.sections
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False)


def get_record_patient_for(membership: Membership | None, patient_id: int, actor: Actor) -> Patient:
    """The patient whose whole record `membership` may export.

    Refused roles answer 403 and another organisation's patient 404, both audited.
    """
    if not rules.can_export_patient_record(membership):
        _record_refusal(actor, patient_id)
        raise PermissionDenied("Your role does not export patient records.")
    try:
        return Patient.objects.select_related("organization").get(
            pk=patient_id, organization_id=membership.organization_id
        )
    except Patient.DoesNotExist:
        _record_refusal(actor, patient_id)
        raise Http404("No such patient.") from None


def _record_refusal(actor: Actor, patient_id: int) -> None:
    record_event(
        actor, Action.EXPORT, outcome=Outcome.DENIED, object_ref=(RECORD_OBJECT, patient_id)
    )


def audit_record(actor: Actor, action: Action, patient: Patient) -> None:
    """One event naming the patient and the record, never its content."""
    record_event(
        actor,
        action,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        object_ref=(RECORD_OBJECT, patient.pk),
    )


def list_record_models() -> dict[type[Model], tuple[str, ...]]:
    """Every model holding rows about one patient, with its lookups to the patient's id.

    1. The patient: `pk`.
    2. Every model with a foreign key to Patient: each such key is a lookup.
    3. Again and again until nothing is added: every model with a foreign key to a model
       already found reaches the patient through that model (`session__patient`).
    """
    found: dict[type[Model], tuple[str, ...]] = {Patient: ("pk",)}
    added = True
    while added:
        added = False
        for model in apps.get_models():
            if model not in found and (lookups := _lookups_of(model, found)):
                found[model] = lookups
                added = True
    return found


def _lookups_of(model: type[Model], found: dict[type[Model], tuple[str, ...]]) -> tuple[str, ...]:
    keys = [
        field
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in found
    ]
    direct = tuple(field.name for field in keys if field.related_model is Patient)
    if direct or not keys:
        return direct
    through = keys[0]
    return tuple(f"{through.name}__{lookup}" for lookup in found[_model(through)])


def _model(field: Field[Any, Any]) -> type[Model]:
    related = field.related_model
    assert isinstance(related, type)
    return related


def read_record(patient: Patient, now: datetime | None = None) -> PatientRecord:
    """Read every row held about `patient` (the caller checked access)."""
    names = _Names()
    zone = ZoneInfo(patient.time_zone)
    tables: dict[str, list[RecordTable]] = {}
    for model, lookups in list_record_models().items():
        label = model._meta.label
        table = _read_table(model, lookups, patient, names, zone)
        tables.setdefault(SECTION_OF.get(label, OTHER_SECTION), []).append(table)
    tables[ACCESS_SECTION] = [_read_access(patient, zone)]
    order = [*dict.fromkeys(SECTION_OF.values()), OTHER_SECTION, ACCESS_SECTION]
    sections = tuple(
        RecordSection(title, tuple(tables[title])) for title in order if title in tables
    )
    return PatientRecord(patient, now or timezone.now(), sections)


def _read_table(
    model: type[Model],
    lookups: Sequence[str],
    patient: Patient,
    names: _Names,
    zone: ZoneInfo,
) -> RecordTable:
    mine = Q()
    for lookup in lookups:
        mine |= Q(**{lookup: patient.pk})
    rows = model._default_manager.filter(mine)
    if _has_field(model, "organization"):  # the tenant's wall, as for every read
        rows = rows.filter(organization_id=patient.organization_id)
    fields = [field for field in model._meta.concrete_fields if not _withheld(field)]
    values, lines = [], []
    for row in rows.order_by("pk"):
        pairs = [(field, _value(field, getattr(row, field.attname), names)) for field in fields]
        values.append({_key(field): value for field, value in pairs})
        lines.append(_line((_heading(field), _words(field, value, zone)) for field, value in pairs))
    return RecordTable(
        model._meta.label, str(model._meta.verbose_name_plural), tuple(values), tuple(lines)
    )


def _read_access(patient: Patient, zone: ZoneInfo) -> RecordTable:
    events = AuditEvent.objects.filter(
        patient_id=patient.pk, organization_id=patient.organization_id
    ).order_by("pk")
    fields = [AuditEvent._meta.get_field(name) for name in AUDIT_COLUMNS]
    values, lines = [], []
    for event in events:
        row = {field.name: _plain(getattr(event, field.name)) for field in fields}
        row["username"] = _reader(event.username, patient)
        values.append(row)
        lines.append(
            _line(
                (_heading(field), _words(field, row[field.name], zone))
                for field in fields
                if isinstance(field, Field)
            )
        )
    return RecordTable("audit.AuditEvent", "access and audit events", tuple(values), tuple(lines))


def _reader(username: str, patient: Patient) -> str:
    """Staff by user name; a patient (`portal.services.patient_actor`: "patient:<id>") only
    as this patient, never another patient's id (one signing in on Paul's browser ends his
    session, an event about Paul written as the other patient)."""
    if not username.startswith("patient:"):
        return username
    return "the patient" if username == f"patient:{patient.pk}" else "another patient"


def _line(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A row for people: empty fields left out, long values cut (the JSON holds them)."""
    return tuple((heading, _shortened(words)) for heading, words in pairs if words != EMPTY)


def _shortened(words: str) -> str:
    if len(words) <= LONGEST_WORDS:
        return words
    return f"{words[:LONGEST_WORDS]}… ({len(words):,} characters; in full in the JSON file)"


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _withheld(field: Field[Any, Any]) -> bool:
    if field.is_relation and field.related_model in (Patient, Organization):
        return True  # the header already says whose record it is and where
    return bool(SECRET_NAME.search(field.name))


def _names_a_person_or_place(field: Field[Any, Any]) -> bool:
    return field.is_relation and field.related_model in (User, Location)


def _key(field: Field[Any, Any]) -> str:
    return field.name if _names_a_person_or_place(field) else field.attname


def _heading(field: Field[Any, Any]) -> str:
    return str(field.verbose_name)


class _Names:
    """Staff and locations by name, each looked up once."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {}
        self.locations: dict[int, str] = {}

    def of(self, model: type[Model], pk: int) -> str:
        if model is User:
            if pk not in self.users:
                user = User.objects.filter(pk=pk).first()
                self.users[pk] = user.display_name if user else f"user {pk}"
            return self.users[pk]
        if pk not in self.locations:
            location = Location.objects.filter(pk=pk).first()
            self.locations[pk] = location.name if location else f"location {pk}"
        return self.locations[pk]


def _value(field: Field[Any, Any], raw: Any, names: _Names) -> Any:
    if raw is not None and _names_a_person_or_place(field):
        return names.of(_model(field), raw)
    return _plain(raw)


def _plain(raw: Any) -> Any:
    """A value JSON can hold: instants and dates in ISO 8601 (instants in UTC)."""
    if isinstance(raw, datetime):
        return raw.astimezone(ZoneInfo("UTC")).isoformat()
    if isinstance(raw, (date, time)):
        return raw.isoformat()
    if isinstance(raw, Decimal):
        return str(raw)
    if isinstance(raw, timedelta):
        return raw.total_seconds()
    return raw


def _words(field: Field[Any, Any], value: Any, zone: ZoneInfo) -> str:
    """A value as a reader sees it: labels for choices, instants on the patient's clock."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if field.choices:
        return str(dict(_flat(field.flatchoices)).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if field.get_internal_type() == "DateTimeField":
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _flat(choices: Iterable[Any]) -> Iterable[tuple[Any, Any]]:
    return ((choice[0], choice[1]) for choice in choices)
