"""The CapabilityStatement: the resources, interactions and search parameters this server
actually supports (kept next to the queries that implement them; a test compares the two)."""

from __future__ import annotations

from datetime import datetime

from lasting.fhir.replies import Resource

SEARCH_PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "Patient": (
        ("_id", "token"),
        ("identifier", "token"),
        ("name", "string"),
        ("birthdate", "date"),
    ),
    "Questionnaire": (("_id", "token"),),
    "QuestionnaireResponse": (
        ("patient", "reference"),
        ("subject", "reference"),
        ("authored", "date"),
    ),
    "Observation": (
        ("patient", "reference"),
        ("subject", "reference"),
        ("date", "date"),
        ("code", "token"),
        ("category", "token"),
    ),
    "Procedure": (("patient", "reference"), ("subject", "reference"), ("date", "date")),
    "Appointment": (("patient", "reference"), ("date", "date")),
    "CarePlan": (("patient", "reference"), ("subject", "reference")),
    "Flag": (("patient", "reference"), ("subject", "reference")),
}
CREATABLE = frozenset({"QuestionnaireResponse"})


def build_capability_statement(base: str, now: datetime) -> Resource:
    rest_resources = []
    for resource_type, parameters in SEARCH_PARAMETERS.items():
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if resource_type in CREATABLE:
            interactions.append({"code": "create"})
        rest_resources.append(
            {
                "type": resource_type,
                "interaction": interactions,
                "searchParam": [{"name": name, "type": kind} for name, kind in parameters]
                + [{"name": "_count", "type": "number"}],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now.date().isoformat(),
        "publisher": "Lasting",
        "kind": "instance",
        "software": {"name": "Lasting"},
        "implementation": {"description": "Lasting FHIR interface", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Personal API token: Authorization: Bearer <token>",
                        }
                    ],
                    "description": "Create a personal API token in your account settings; "
                    "it acts with your role in your organisation.",
                },
                "resource": rest_resources,
            }
        ],
    }
