"""Lasting's rows as FHIR R4 resources (plain dicts, validated with fhir.resources in tests).

Codes: LOINC only where the instrument definition in `lasting_core.instruments` carries
one (`loinc_panel`, `loinc_total`, `Item.loinc`); never an invented LOINC code. Every
item and total also carries Lasting's own code (`ITEM_SYSTEM`, "<instrument>.<item>"),
so instruments without LOINC codes (PCL-5, the daily check) are still coded. Observations
follow US Core's PHQ-9 conventions: category `survey`, the total with `hasMember` its
items and `derivedFrom` the QuestionnaireResponse.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.checkins.models import Response
from lasting.fhir.replies import Resource
from lasting.patients.models import Patient
from lasting.plans.models import MaintenancePlan
from lasting.prevention.models import PlanVersion
from lasting.treatment.models import Appointment, AppointmentStatus, TreatmentSession
from lasting_core.instruments import Instrument, InstrumentCode, get_instrument, load_texts

LOINC = "http://loinc.org"
ITEM_SYSTEM = "urn:lasting:instrument-item"
RECORD_NUMBER_SYSTEM = "urn:lasting:record-number"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
FLAG_PRIORITY = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY_CODES = "http://hl7.org/fhir/flag-priority-code"
# Lasting's priorities on FHIR's flag priority scale (high, medium, low, none).
PRIORITY_CODES = {
    Priority.URGENT: ("PH", "High priority"),
    Priority.HIGH: ("PH", "High priority"),
    Priority.REVIEW: ("PM", "Medium priority"),
    Priority.INFO: ("PL", "Low priority"),
}
APPOINTMENT_STATUS = {
    AppointmentStatus.SCHEDULED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.DOSED: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
# The instruments served as Questionnaires, by FHIR id (the instrument code).
QUESTIONNAIRES = (
    InstrumentCode.PHQ9,
    InstrumentCode.GAD7,
    InstrumentCode.PCL5,
    InstrumentCode.PAIN_NRS,
    InstrumentCode.DAILY,
)


def questionnaire_id(code: InstrumentCode) -> str:
    """The Questionnaire's id: the instrument code, with '-' for '_' (FHIR ids allow no '_')."""
    return str(code).replace("_", "-")


def find_instrument_code(questionnaire: str) -> InstrumentCode | None:
    """The instrument a Questionnaire id names, if it is one this server defines."""
    return next((code for code in QUESTIONNAIRES if questionnaire_id(code) == questionnaire), None)


def instant(moment: datetime) -> str:
    return moment.isoformat()


def patient_reference(patient_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def item_coding(instrument: Instrument, key: str, loinc: str | None) -> list[dict[str, str]]:
    codings = [{"system": LOINC, "code": loinc}] if loinc else []
    return [*codings, {"system": ITEM_SYSTEM, "code": f"{instrument.code}.{key}"}]


def build_patient(patient: Patient) -> Resource:
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [{"system": RECORD_NUMBER_SYSTEM, "value": patient.record_number}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": patient.preferred_language}]
                }
            }
        ],
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


def canonical(base: str, code: InstrumentCode) -> str:
    return f"{base}/Questionnaire/{questionnaire_id(code)}"


def build_questionnaire(base: str, code: InstrumentCode) -> Resource:
    """The instrument's items with their English texts, answer options and codes."""
    instrument = get_instrument(code)
    texts = load_texts(code)
    items = []
    for item in instrument.items:
        labels = dict(texts.options.get(item.key, ()))
        entry: dict[str, Any] = {
            "linkId": item.key,
            "code": item_coding(instrument, item.key, item.loinc),
            "text": texts.items.get(item.key, item.key),
            "type": "integer",
            "required": not item.optional,
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                    "valueInteger": item.min_value,
                },
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                    "valueInteger": item.max_value,
                },
            ],
        }
        if labels:
            entry["type"] = "choice"
            del entry["extension"]
            entry["answerOption"] = [
                {"valueCoding": {"code": str(value), "display": label}}
                for value, label in labels.items()
            ]
        items.append(entry)
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(code),
        "url": canonical(base, code),
        "version": instrument.version,
        "name": str(code).upper(),
        "title": texts.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": texts.instructions,
        "copyright": texts.attribution,
        "item": items,
    }
    if instrument.loinc_panel:
        resource["code"] = [{"system": LOINC, "code": instrument.loinc_panel}]
    return resource


def build_questionnaire_response(base: str, response: Response) -> Resource:
    instrument = get_instrument(response.instrument)
    texts = load_texts(response.instrument)
    items = []
    for item in instrument.items:
        value = response.answers.get(item.key)
        entry: dict[str, Any] = {"linkId": item.key}
        labels = dict(texts.options.get(item.key, ()))
        if value is not None and value in labels:
            entry["answer"] = [{"valueCoding": {"code": str(value), "display": labels[value]}}]
        elif value is not None:
            entry["answer"] = [{"valueInteger": value}]
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "questionnaire": f"{canonical(base, instrument.code)}|{response.instrument_version}",
        "status": "completed",
        "subject": patient_reference(response.patient_id),
        "authored": instant(response.observed_at),
        "item": items,
    }


def observation_keys(response: Response) -> list[str]:
    """The Observations one response gives, in order: its total (if scored), then each
    answered item."""
    keys = ["total"] if response.total is not None else []
    instrument = get_instrument(response.instrument)
    answered = [item.key for item in instrument.items if response.answers.get(item.key) is not None]
    return keys + answered


def observation_codes(instrument_code: str, key: str) -> set[str]:
    """Every code an Observation is searchable by (`code=44261-6`)."""
    instrument = get_instrument(instrument_code)
    if key == "total":
        return {c for c in (instrument.loinc_total, f"{instrument.code}.total") if c}
    return {c for c in (instrument.get_item(key).loinc, f"{instrument.code}.{key}") if c}


def build_observation(response: Response, key: str) -> Resource:
    instrument = get_instrument(response.instrument)
    texts = load_texts(response.instrument)
    resource: Resource = {
        "resourceType": "Observation",
        "id": f"{response.pk}-{key}",
        "status": "final",
        "category": [
            {"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}
        ],
        "subject": patient_reference(response.patient_id),
        "effectiveDateTime": instant(response.observed_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response.pk}"}],
    }
    if key == "total":
        resource["code"] = {
            "coding": item_coding(instrument, "total", instrument.loinc_total),
            "text": f"{texts.title} total score",
        }
        resource["valueQuantity"] = {
            "value": response.total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        }
        if response.band_label:
            resource["interpretation"] = [{"text": response.band_label}]
        resource["hasMember"] = [
            {"reference": f"Observation/{response.pk}-{member}"}
            for member in observation_keys(response)
            if member != "total"
        ]
        return resource
    item = instrument.get_item(key)
    resource["code"] = {
        "coding": item_coding(instrument, key, item.loinc),
        "text": texts.items.get(key, key),
    }
    resource["valueInteger"] = response.answers[key]
    return resource


def build_procedure(session: TreatmentSession) -> Resource:
    dose = f"{session.dose_mg:g} mg" if session.dose_mg is not None else "dose not recorded"
    if session.dose_mg_per_kg is not None:
        dose += f" ({session.dose_mg_per_kg:g} mg/kg)"
    period = {"start": instant(session.started_at)}
    if session.ended_at is not None:
        period["end"] = instant(session.ended_at)
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(session.pk),
        "status": "completed",
        "category": {"text": f"{session.get_kind_display()} session"},
        "code": {"text": f"Ketamine treatment session: {session.get_route_display()}"},
        "subject": patient_reference(session.patient_id),
        "performedPeriod": period,
        "note": [{"text": dose}],
    }
    if session.location is not None:
        resource["location"] = {"display": session.location.name}
    return resource


def build_appointment(appointment: Appointment) -> Resource:
    participants: list[dict[str, Any]] = [
        {"actor": patient_reference(appointment.patient_id), "status": "accepted"}
    ]
    if appointment.clinician is not None:
        name = appointment.clinician.get_full_name() or appointment.clinician.get_username()
        participants.append({"actor": {"display": name}, "status": "accepted"})
    if appointment.location is not None:
        participants.append({"actor": {"display": appointment.location.name}, "status": "accepted"})
    end = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    return {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "status": APPOINTMENT_STATUS[AppointmentStatus(appointment.status)],
        "serviceType": [{"text": f"{appointment.get_kind_display()} session"}],
        "start": instant(appointment.starts_at),
        "end": instant(end),
        "minutesDuration": appointment.duration_minutes,
        "participant": participants,
    }


def build_maintenance_plan(plan: MaintenancePlan) -> Resource:
    return {
        "resourceType": "CarePlan",
        "id": f"maintenance-{plan.pk}",
        "status": "active",
        "intent": "plan",
        "category": [{"text": "Maintenance plan"}],
        "title": "Maintenance plan",
        "description": f"Booster policy: {plan.get_policy_display()}.",
        "subject": patient_reference(plan.patient_id),
        "period": {"start": instant(plan.updated_at)},
    }


PREVENTION_SECTIONS = (
    ("warning_signs", "Warning signs"),
    ("coping_strategies", "Coping strategies"),
    ("people_and_places", "People and places that help"),
    ("help_contacts", "People to ask for help"),
    ("professional_contacts", "Professionals to contact"),
    ("safe_environment", "Making the environment safe"),
    ("practice", "Practice"),
)


def build_prevention_plan(version: PlanVersion, *, current: bool) -> Resource:
    notes = [
        {"text": f"{label}: {getattr(version, field)}"}
        for field, label in PREVENTION_SECTIONS
        if getattr(version, field)
    ]
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": f"prevention-{version.pk}",
        "status": "active" if current else "revoked",
        "intent": "plan",
        "category": [{"text": "Relapse-prevention plan"}],
        "title": f"Relapse-prevention plan, version {version.number}",
        "subject": patient_reference(version.patient_id),
        "created": instant(version.created_at),
    }
    if notes:
        resource["note"] = notes
    return resource


def build_flag(alert: Alert) -> Resource:
    code, display = PRIORITY_CODES[Priority(alert.priority)]
    period = {"start": instant(alert.opened_at)}
    if alert.resolved_at is not None:
        period["end"] = instant(alert.resolved_at)
    kind = AlertKind(alert.kind)
    return {
        "resourceType": "Flag",
        "id": str(alert.pk),
        "extension": [
            {
                "url": FLAG_PRIORITY,
                "valueCodeableConcept": {
                    "coding": [{"system": FLAG_PRIORITY_CODES, "code": code, "display": display}],
                    "text": alert.get_priority_display(),
                },
            }
        ],
        "status": "inactive" if alert.status == AlertStatus.RESOLVED else "active",
        "category": [{"text": f"{kind.label} alert"}],
        "code": {"text": f"{kind.label} alert ({alert.get_priority_display()})"},
        "subject": patient_reference(alert.patient_id),
        "period": period,
    }
