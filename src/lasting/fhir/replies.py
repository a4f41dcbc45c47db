"""What the FHIR interface sends back: resources as `application/fhir+json`, searchset
Bundles with paging links, and OperationOutcome for every refusal and error.

An OperationOutcome names what is wrong (a parameter, an item, a field's path) and never
tells whether another organisation's record exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

FHIR_JSON = "application/fhir+json"
Resource = dict[str, Any]


class FhirError(Exception):
    """A request the interface refuses, with the HTTP status and FHIR issue code to send."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def fhir_response(resource: Resource, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, separators=(",", ":")), status=status, content_type=FHIR_JSON
    )


def operation_outcome(status: int, code: str, message: str) -> HttpResponse:
    """One error issue (FHIR issue codes: security, not-found, invalid, processing…)."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
    response = fhir_response(outcome, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="lasting-fhir"'
    return response


def base_url(request: HttpRequest) -> str:
    """The FHIR base, e.g. https://clinic.example/fhir, for fullUrl and paging links."""
    return request.build_absolute_uri("/fhir").rstrip("/")


def searchset(
    request: HttpRequest,
    resources: Sequence[Resource],
    *,
    total: int,
    offset: int,
    count: int,
) -> HttpResponse:
    """A searchset Bundle of one page, with `self` and, when more match, `next` links."""
    base = base_url(request)
    path = request.build_absolute_uri(request.path)
    params = [
        (key, value) for key, values in request.GET.lists() if key != "_offset" for value in values
    ]
    links = [{"relation": "self", "url": f"{path}?{urlencode([*params, ('_offset', offset)])}"}]
    if offset + count < total:
        following = [*params, ("_offset", offset + count)]
        links.append({"relation": "next", "url": f"{path}?{urlencode(following)}"})
    if offset > 0:
        previous = [*params, ("_offset", max(0, offset - count))]
        links.append({"relation": "previous", "url": f"{path}?{urlencode(previous)}"})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
    return fhir_response(bundle)
