"""One error format for the whole API: RFC 9457 problem details.

Every refusal and failure answers `application/problem+json` with `type`, `title`,
`status` and `detail`; a request that fails validation adds `errors`, each naming the
field by its path (`["body", "answers", "phq9"]`). The detail never holds patient data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from lasting.checkins.services import IdempotencyConflict

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("lasting.api")


class Problem(Exception):
    """Raise to answer with a problem document (status, detail, optional `errors`)."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def problem_response(
    status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    document: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        document["errors"] = errors
    return HttpResponse(json.dumps(document), status=status, content_type=PROBLEM_TYPE)


def service_errors(error: DjangoValidationError) -> list[dict[str, Any]]:
    """A service's refusal as problem `errors`: the field it names, or the body itself."""
    if hasattr(error, "error_dict"):
        return [
            {"loc": ["body", field], "msg": " ".join(str(m) for m in messages)}
            for field, messages in error.message_dict.items()
        ]
    return [{"loc": ["body"], "msg": message} for message in error.messages]


def _handlers() -> dict[type[Exception], Callable[[Exception], HttpResponse]]:
    def validation(exc: Exception) -> HttpResponse:
        assert isinstance(exc, NinjaValidationError)
        errors = [
            {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        return problem_response(422, "The request does not validate.", errors)

    def http_error(exc: Exception) -> HttpResponse:
        assert isinstance(exc, HttpError)
        return problem_response(exc.status_code, str(exc.message))

    def service(exc: Exception) -> HttpResponse:
        assert isinstance(exc, DjangoValidationError)
        return problem_response(422, "The request was refused.", service_errors(exc))

    def unexpected(exc: Exception) -> HttpResponse:
        log.exception("API operation failed", exc_info=exc)
        return problem_response(500, "Something went wrong on our side; nothing to show.")

    return {
        Problem: lambda exc: problem_response(
            exc.status,  # type: ignore[attr-defined]
            exc.detail,  # type: ignore[attr-defined]
            exc.errors,  # type: ignore[attr-defined]
        ),
        NinjaValidationError: validation,
        AuthenticationError: lambda exc: problem_response(
            401, "Send a personal API token: Authorization: Bearer <token>."
        ),
        HttpError: http_error,
        Http404: lambda exc: problem_response(404, "No such resource."),
        PermissionDenied: lambda exc: problem_response(403, "Your role may not do this."),
        DjangoValidationError: service,
        IdempotencyConflict: lambda exc: problem_response(
            422, "This check-in was already submitted with other answers."
        ),
        Exception: unexpected,
    }


def install_problem_handlers(api: NinjaAPI) -> None:
    """Answer every exception an operation raises with a problem document."""
    for exception, handle in _handlers().items():
        api.add_exception_handler(exception, _ignoring_request(handle))


def _ignoring_request(
    handle: Callable[[Exception], HttpResponse],
) -> Callable[[HttpRequest, Exception | type[Exception]], HttpResponse]:
    def handler(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        return handle(exc if isinstance(exc, Exception) else exc())

    return handler


def not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """Any path under /api/v1/ that names no operation."""
    return problem_response(404, "No such operation; see /api/v1/docs.")


def with_problem_on_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method an operation lacks with a plain 405: make it a problem."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type") != PROBLEM_TYPE:
            answer = problem_response(405, f"{request.method} is not allowed here.")
            answer["Allow"] = response.get("Allow", "")
            return answer
        return response

    wrapped.__dict__.update(view.__dict__)  # keeps csrf_exempt
    wrapped.__name__ = getattr(view, "__name__", "view")
    return wrapped
