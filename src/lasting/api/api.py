"""The REST API under /api/v1/ (docs/api.md): one NinjaAPI, token-only, problem details.

OpenAPI at /api/v1/openapi.json and Swagger UI at /api/v1/docs, served from ninja's own
static files (no CDN: "ninja" is an installed app).
"""

from __future__ import annotations

from ninja import NinjaAPI

from lasting.api import alerts, appointments, patients, records
from lasting.api.auth import PersonalToken
from lasting.api.problems import install_problem_handlers

api = NinjaAPI(
    title="Lasting API",
    version="1",
    description=(
        "Patients, check-ins, sessions, alerts, booster proposals, plans and appointments "
        "of one organisation, as the token's role may see them. Errors are RFC 9457 "
        "problem details; lists take an opaque `cursor`; every POST needs an "
        "`Idempotency-Key` header."
    ),
    auth=PersonalToken(),
    urls_namespace="api",
)
install_problem_handlers(api)
api.add_router("", patients.router)
api.add_router("", records.router)
api.add_router("", alerts.router)
api.add_router("", appointments.router)
