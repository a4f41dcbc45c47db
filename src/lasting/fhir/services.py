"""Receive a QuestionnaireResponse: parse it, map its answers to the instrument's items,
score it with the core and store it through the one door (`intake.services.submit_checkin`,
source "fhir"), which opens the safety alerts the answers call for (PHQ-9 item 9 ≥ 1,
urgent at ≥ 2, or unanswered) exactly as for a check-in on the web.

A response that cannot be stored still reports a positive item 9
(`intake.services.report_unstored_checkin`), as the patient's check-in page does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
)
from pydantic import ValidationError

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.audit.services import Actor
from lasting.checkins.models import Response, Source
from lasting.checkins.services import IdempotencyConflict
from lasting.fhir.replies import FhirError
from lasting.fhir.resources import QUESTIONNAIRES, find_instrument_code, questionnaire_id
from lasting.intake.services import report_unstored_checkin, submit_checkin
from lasting.patients.models import Patient
from lasting.patients.queries import get_patient_for
from lasting_core.instruments import InstrumentCode, ScoringError, get_instrument, score

MAX_KEY_LENGTH = 64
_PATIENT = re.compile(r"(?:.*/)?Patient/(?P<id>\d{1,18})")
UNSTORED = "a FHIR QuestionnaireResponse that was refused"


@dataclass(frozen=True)
class Received:
    response: Response
    created: bool


def unprocessable(message: str) -> FhirError:
    return FhirError(422, "processing", message)


def parse_body(body: bytes) -> QuestionnaireResponse:
    """The body as an R4 QuestionnaireResponse; 400 naming the fields that are wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "structure", "The body is not JSON.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "QuestionnaireResponse":
        raise FhirError(400, "structure", "The body must be a QuestionnaireResponse resource.")
    try:
        return QuestionnaireResponse.model_validate(data)
    except ValidationError as error:
        # Locations and messages only: never echo the submitted values.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors(include_input=False, include_url=False)[:5]
        )
        message = f"Not a valid QuestionnaireResponse: {problems}"
        raise FhirError(400, "structure", message) from None


def read_instrument(resource: QuestionnaireResponse) -> InstrumentCode:
    canonical = (resource.questionnaire or "").partition("|")[0]
    code = find_instrument_code(canonical.rstrip("/").rpartition("/")[2])
    if code is None:
        known = ", ".join(f"Questionnaire/{questionnaire_id(each)}" for each in QUESTIONNAIRES)
        raise unprocessable(f"questionnaire must name one of {known}.")
    return code


def read_patient_id(resource: QuestionnaireResponse) -> int:
    reference = resource.subject.reference if resource.subject else None
    match = _PATIENT.fullmatch(reference or "")
    if match is None:
        raise unprocessable("subject must reference the patient, e.g. Patient/12.")
    return int(match["id"])


def read_answer(item: QuestionnaireResponseItem) -> int | None:
    answers = item.answer or []
    if item.item:
        raise unprocessable(f"item {item.linkId}: nested items are not supported.")
    if not answers:
        return None
    if len(answers) > 1:
        raise unprocessable(f"item {item.linkId}: give one answer.")
    answer = answers[0]
    if answer.valueInteger is not None:
        return int(answer.valueInteger)
    code = answer.valueCoding.code if answer.valueCoding is not None else None
    if code is not None and str(code).isdigit():
        return int(code)
    raise unprocessable(f"item {item.linkId}: answer with valueInteger or an answer option.")


def read_answers(resource: QuestionnaireResponse, code: InstrumentCode) -> dict[str, int | None]:
    instrument = get_instrument(code)
    keys = {item.key for item in instrument.items}
    answers: dict[str, int | None] = {}
    for item in resource.item or []:
        if item.linkId not in keys:
            raise unprocessable(f"item {item.linkId}: not an item of {instrument.name}.")
        if item.linkId in answers:
            raise unprocessable(f"item {item.linkId}: given twice.")
        answers[item.linkId] = read_answer(item)
    return answers


def read_authored(resource: QuestionnaireResponse, now: datetime) -> datetime:
    if resource.authored is None:
        return now
    authored = resource.authored
    if not isinstance(authored, datetime) or authored.tzinfo is None:
        raise unprocessable("authored must be a date and time with its offset.")
    if authored > now:
        raise unprocessable("authored cannot be in the future.")
    return authored


def positive_item9(code: InstrumentCode, answers: dict[str, int | None]) -> int | None:
    item9 = answers.get("q9") if code == InstrumentCode.PHQ9 else None
    return item9 if item9 in (1, 2, 3) else None


def receive_questionnaire_response(
    actor: Actor,
    membership: Membership | None,
    body: bytes,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> Received:
    """Store a posted QuestionnaireResponse as a check-in (one instrument, one response).

    1. Only clinicians and nurses may enter check-ins (403); the subject must be a patient
       of their organisation (404 otherwise).
    2. The body must be an R4 QuestionnaireResponse (400), completed, for a Questionnaire
       this server defines, with answers the instrument accepts (422, naming the item).
    3. The same `Idempotency-Key` and body returns the stored response (created False);
       the same key with other answers is refused (422).
    """
    if not rules.can_enter_checkins(membership):
        raise PermissionDenied("Your role cannot enter check-ins.")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise FhirError(400, "invalid", f"Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters.")
    resource = parse_body(body)
    patient = get_patient_for(membership, read_patient_id(resource), actor=actor)
    code = read_instrument(resource)
    answers = read_answers(resource, code)
    try:
        if resource.status != "completed":
            raise unprocessable("status must be 'completed'.")
        submitted_at = read_authored(resource, now)
        scored = score(code, answers)
        recorded = submit_checkin(
            actor,
            patient,
            [scored],
            source=Source.FHIR,
            idempotency_key=idempotency_key,
            submitted_at=submitted_at,
        )
    except ScoringError as error:
        report_refused(patient, code, answers)
        raise unprocessable(str(error)) from None  # the core's message names the item
    except IdempotencyConflict:
        report_refused(patient, code, answers)
        raise unprocessable("This Idempotency-Key was already used for other answers.") from None
    except FhirError:
        report_refused(patient, code, answers)
        raise
    response = recorded.checkin.responses.get()
    return Received(response, recorded.created)


def report_refused(patient: Patient, code: InstrumentCode, answers: dict[str, int | None]) -> None:
    """Keep the safety signal of a response that is not stored (as the web's safety net)."""
    item9 = positive_item9(code, answers)
    if item9 is not None:
        report_unstored_checkin(patient, item9=item9, note="", situation=UNSTORED)
