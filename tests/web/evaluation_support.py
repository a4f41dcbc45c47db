"""What the evaluation-request tests share: a valid submission of the public form."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Organization
from lasting.evaluations.forms import SCREENING_QUESTIONS, screening_field
from lasting.evaluations.models import EvaluationRequest
from lasting.evaluations.services import sign_form_start


def request_url(organization: Organization) -> str:
    return reverse("evaluations:request", args=[organization.slug])


def request_post(*, item9: int = 0, phq9_each: int = 2, **overrides: Any) -> dict[str, Any]:
    """A complete, human-paced submission: PHQ-9 items 1-8 answered `phq9_each`, item 9 as
    given, GAD-7 items 1, screening all "no", the form served a minute ago."""
    data: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex,
        "started": sign_form_start(timezone.now() - timedelta(minutes=1)),
        "given_name": "Rosa",
        "family_name": "Quintero",
        "date_of_birth": "1988-03-14",
        "email": "rosa@example.net",
        "phone": "(303) 555-0142",
        "location": "",
        "reason": "Depression that has not lifted with two medicines.",
        "known_diagnoses": ["trd_mdd"],
        "current_treatment": "Sertraline 100 mg",
        "website": "",
        "lang": "en",
    }
    for item in range(1, 9):
        data[f"phq9__q{item}"] = str(phq9_each)
    data["phq9__q9"] = str(item9)
    for item in range(1, 8):
        data[f"gad7__q{item}"] = "1"
    for key in SCREENING_QUESTIONS:
        data[screening_field(key)] = "no"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def send_request(
    organization: Organization, address: str = "10.1.2.3", **overrides: Any
) -> tuple[Any, EvaluationRequest | None]:
    """POST the form from `address`; return the response and the request it stored."""
    data = request_post(**overrides)
    response = Client(REMOTE_ADDR=address).post(request_url(organization), data)
    stored = EvaluationRequest.objects.filter(idempotency_key=data["idempotency_key"]).first()
    return response, stored
