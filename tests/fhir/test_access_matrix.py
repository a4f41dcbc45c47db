"""Every FHIR interaction, by every caller: the outcome of one table, refusals change
nothing, and nobody sees what their role or organisation may not.

The routes are read from the resolver (namespace `fhir`); each is requested with GET and
with POST (a valid PHQ-9 QuestionnaireResponse for Paul as the body), so a new route or
method without its row fails `test_every_interaction_has_a_row`.

Callers (tests/web/access_matrix_support.py): nobody; Paul signed in to the portal (a
session cookie is no credential here); then the personal API tokens of Clinic A's
admin, clinician, nurse and scheduler, and of dr_olga of Clinic B.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.db import transaction
from django.urls import get_resolver, reverse

from tests.factories import phq9_answers
from tests.fhir.support import fhir_json, phq9_response
from tests.web.access_matrix_support import (
    CALLERS,
    NEVER_SEE_PAUL,
    PAUL_SECRETS,
    SCHEDULER_NEVER_SEES,
    _walk,
    row_counts,
)

pytestmark = [pytest.mark.slow(seconds=8), pytest.mark.django_db]

# Callers, in order: anonymous paul admin_dora dr_ana rn_cara sam_front dr_olga
# "ok" is 200; other outcomes are the status code.
NOT_ALLOWED = "405 405 405 405 405 405 405"
NO_ENTRY = "401 401"
EXPECTED: dict[str, tuple[str, str]] = {
    # route: (GET, POST)
    "fhir:metadata": ("ok ok ok ok ok ok ok", NOT_ALLOWED),
    "fhir:patient_search": (f"{NO_ENTRY} 403 ok ok ok ok", NOT_ALLOWED),
    "fhir:patient_read": (f"{NO_ENTRY} 403 ok ok ok 404", NOT_ALLOWED),
    "fhir:questionnaire_search": (f"{NO_ENTRY} ok ok ok ok ok", NOT_ALLOWED),
    "fhir:questionnaire_read": (f"{NO_ENTRY} ok ok ok ok ok", NOT_ALLOWED),
    "fhir:questionnaireresponse_search_create": (
        f"{NO_ENTRY} 403 ok ok 403 ok",
        f"{NO_ENTRY} 403 201 201 403 404",
    ),
    "fhir:questionnaireresponse_read": (f"{NO_ENTRY} 403 ok ok 403 404", NOT_ALLOWED),
    "fhir:observation_search": (f"{NO_ENTRY} 403 ok ok 403 ok", NOT_ALLOWED),
    "fhir:observation_read": (f"{NO_ENTRY} 403 ok ok 403 404", NOT_ALLOWED),
    "fhir:procedure_search": (f"{NO_ENTRY} 403 ok ok 403 ok", NOT_ALLOWED),
    "fhir:procedure_read": (f"{NO_ENTRY} 403 ok ok 403 404", NOT_ALLOWED),
    "fhir:appointment_search": (f"{NO_ENTRY} 403 ok ok ok ok", NOT_ALLOWED),
    "fhir:appointment_read": (f"{NO_ENTRY} 403 ok ok ok 404", NOT_ALLOWED),
    "fhir:careplan_search": (f"{NO_ENTRY} 403 ok ok 403 ok", NOT_ALLOWED),
    "fhir:careplan_read": (f"{NO_ENTRY} 403 ok ok 403 404", NOT_ALLOWED),
    "fhir:flag_search": (f"{NO_ENTRY} 403 ok ok 403 ok", NOT_ALLOWED),
    "fhir:flag_read": (f"{NO_ENTRY} 403 ok ok 403 404", NOT_ALLOWED),
    "fhir:unknown": ("404 404 404 404 404 404 404", "404 404 404 404 404 404 404"),
}
# Each search asks for Paul, so another organisation's caller asks for him by id.
BY_PATIENT = ("QuestionnaireResponse", "Observation", "Procedure", "Appointment")
BY_PATIENT += ("CarePlan", "Flag")
SEARCH_FOR_PAUL = {"Patient": "?_id={paul}", **dict.fromkeys(BY_PATIENT, "?patient={paul}")}
# Outcomes that refuse: the request must change nothing.
REFUSALS = {"401", "403", "404", "405"}
METHODS = ("get", "post")


def list_interactions() -> list[tuple[str, str, str]]:
    """Every FHIR route with its resource type: (namespace:name, pattern, resource type)."""
    return [
        (name, pattern, entry.default_args.get("resource_type", ""))
        for name, pattern, entry in _walk(get_resolver().url_patterns, "", "")
        if name.startswith("fhir:")
    ]


def test_every_interaction_has_a_row():
    names = {name for name, _pattern, _type in list_interactions()}
    assert sorted(names ^ set(EXPECTED)) == []


def outcome_of(response: Any) -> str:
    return "ok" if response.status_code == 200 else str(response.status_code)


def check_interaction(world: dict[str, Any], name: str, resource_type: str, method: str) -> None:
    """Request the interaction as every caller; compare with the table and check leaks."""
    kwargs: dict[str, str] = {}
    if name.endswith("_read"):
        kwargs = {"resource_id": world["ids"][resource_type]}
    elif name == "fhir:unknown":
        kwargs = {"rest": f"Medication/{world['personas'].paul.pk}"}
    path = reverse(name, kwargs=kwargs)
    if name.endswith("_search") or name.endswith("_search_create"):
        path += SEARCH_FOR_PAUL.get(resource_type, "").format(paul=world["personas"].paul.pk)
    body = json.dumps(phq9_response(world["personas"].paul.pk, phq9_answers(6)))
    expected = EXPECTED[name][METHODS.index(method)]
    outcomes, problems = [], []
    for caller, wanted in zip(CALLERS, expected.split(), strict=True):
        client = world["clients"][caller]
        jar = copy.deepcopy(client.cookies)
        before = row_counts()
        with transaction.atomic():
            if method == "post":
                response = client.post(path, body, content_type="application/fhir+json")
            else:
                response = client.get(path)
            changed = sorted(k for k, v in row_counts().items() if before.get(k) != v)
            transaction.set_rollback(True)
        client.cookies = jar
        outcome = outcome_of(response)
        outcomes.append(outcome)
        fhir_json(response)  # every answer, refusals included, is valid FHIR
        if outcome != wanted:
            problems.append(f"{caller}: {outcome}, expected {wanted}")
        if outcome in REFUSALS and changed:
            problems.append(f"{caller}: refused, yet changed {changed}")
        secrets = PAUL_SECRETS if caller in NEVER_SEE_PAUL | {"paul"} else ()
        if caller == "sam_front":
            secrets = SCHEDULER_NEVER_SEES
        shown = [secret for secret in secrets if secret.encode() in response.content]
        if shown:
            problems.append(f"{caller}: the response shows {shown}")
    assert not problems, f"{method.upper()} {path} ({' '.join(outcomes)}): " + "; ".join(problems)


@pytest.mark.usefixtures("fhir_world")
class TestMatrix:
    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize(("name", "pattern", "resource_type"), list_interactions())
    def test_interaction(self, fhir_world, name, pattern, resource_type, method):
        check_interaction(fhir_world, name, resource_type, method)

    def test_dr_olga_finds_nothing_of_clinic_a(self, fhir_world):
        """A search by another organisation's clinician answers an empty Bundle, even
        asked for Paul by id or by name."""
        client = fhir_world["clients"]["dr_olga"]
        paul = fhir_world["personas"].paul
        for path in (
            f"/fhir/Patient?_id={paul.pk}",
            "/fhir/Patient?name=Moreno",
            f"/fhir/Observation?patient={paul.pk}",
            f"/fhir/Flag?patient=Patient/{paul.pk}",
            f"/fhir/Appointment?patient={paul.pk}",
        ):
            bundle = fhir_json(client.get(path))
            assert (bundle["total"], bundle.get("entry", [])) == (0, []), path
