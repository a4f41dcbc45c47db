"""The FHIR tests' world and callers: the browser matrix's world around Paul
(tests/web/access_matrix_support.py) with a maintenance plan, each persona's personal API
token, and a check that a body is valid FHIR R4 (fhir.resources.R4B)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from lasting.accounts.apitokens import create_api_token
from lasting.alerts.models import Alert
from lasting.audit.services import Actor
from lasting.checkins.models import Response
from lasting.plans.models import MaintenancePlan
from lasting.prevention.models import PlanVersion
from lasting.treatment.models import Appointment, TreatmentSession
from tests.personas import Personas
from tests.web.access_matrix_support import CALLERS, make_matrix_world, portal_client

TOKEN_CALLERS = CALLERS[2:]  # admin_dora, dr_ana, rn_cara, sam_front, dr_olga


def token_for(personas: Personas, username: str) -> str:
    """A new personal API token of the persona's membership (its secret)."""
    _token, secret = create_api_token(Actor.system("test"), personas.member(username), "tests")
    return secret


def bearer(secret: str) -> Client:
    """A client that sends the token on every request, as an integration does."""
    return Client(headers={"Authorization": f"Bearer {secret}"})


def make_fhir_world(personas: Personas) -> dict[str, Any]:
    """The matrix's world (Paul with a PHQ-9 of 20 and item 9 = 2 and its urgent alert, an
    esketamine session, an appointment, a relapse-prevention plan) and his maintenance plan;
    `ids` names one resource of each type."""
    world = make_matrix_world(personas)
    paul = personas.paul
    MaintenancePlan.objects.create(organization=personas.clinic, patient=paul)
    response = Response.objects.get(patient=paul)
    world["ids"] = {
        "Patient": str(paul.pk),
        "Questionnaire": "phq9",
        "QuestionnaireResponse": str(response.pk),
        "Observation": f"{response.pk}-total",
        "Procedure": str(TreatmentSession.objects.get(patient=paul).pk),
        "Appointment": str(Appointment.objects.get(patient=paul).pk),
        "CarePlan": f"prevention-{PlanVersion.objects.get(patient=paul).pk}",
        "Flag": str(Alert.objects.get(patient=paul).pk),
    }
    return world


def callers_of(personas: Personas) -> dict[str, Client]:
    clients = {"anonymous": Client(), "paul": portal_client(personas)}
    for username in TOKEN_CALLERS:
        clients[username] = bearer(token_for(personas, username))
    return clients


def fhir_json(response: Any) -> dict[str, Any]:
    """The body of a FHIR response, checked: the media type, and valid R4 for its type
    (a Bundle's entries included, as fhir.resources validates contained resources)."""
    assert response["Content-Type"] == "application/fhir+json", response["Content-Type"]
    data: dict[str, Any] = json.loads(response.content)
    validate(data)
    return data


def validate(data: dict[str, Any]) -> None:
    model = get_fhir_model_class(data["resourceType"])
    model.model_validate(data)
    for entry in data.get("entry", []):
        validate(entry["resource"])


def phq9_response(patient_id: int, answers: dict[str, int | None], **fields: Any) -> dict[str, Any]:
    """A QuestionnaireResponse to the PHQ-9 for the patient, answers as valueInteger."""
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "Questionnaire/phq9",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": [
            {"linkId": key, "answer": [{"valueInteger": value}]}
            if value is not None
            else {"linkId": key}
            for key, value in answers.items()
        ],
        **fields,
    }
