"""Client addresses and request ids for the audit trail, and no caching of pages that may
hold patient data."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class ForwardedForMiddleware:
    """Behind a trusted reverse proxy (LASTING_TRUST_FORWARDED_FOR=1), take the client's
    address from the last X-Forwarded-For entry, the one that proxy appended; otherwise
    every patient and clinician would share the proxy's address in the audit trail and
    the sign-in throttles. Entries a client sent itself come earlier and are ignored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TRUST_FORWARDED_FOR:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last and is_ip_address(last):
                request.META["REMOTE_ADDR"] = last
        return self.get_response(request)


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class RequestIdMiddleware:
    """Give each request an id; reuse a well-formed X-Request-ID only from a trusted proxy
    (LASTING_TRUST_REQUEST_ID=1), since the id is written into the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "") if settings.TRUST_REQUEST_ID else ""
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """Mark every dynamic response `Cache-Control: no-store`; static files are exempt."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response
