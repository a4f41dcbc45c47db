"""The public request page and "what to expect", and the staff's inbox of requests.

Public pages: in the visitor's language (chosen, else the browser's; English or
Spanish), with the organisation's crisis line on every page and at once when PHQ-9
item 9 is answered 1 or more, whatever else happens to the submission (a form with
errors, a refusal). Staff pages: parse, call one query or service, render.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Organization
from lasting.accounts.queries import find_crisis_line
from lasting.accounts.tenancy import public_page
from lasting.audit.services import Actor
from lasting.checkins.forms import field_name
from lasting.evaluations import queries, services
from lasting.evaluations.forms import (
    DIAGNOSIS_WORDS,
    HONEYPOT,
    SCREENING_QUESTIONS,
    EvaluationRequestForm,
    StatusForm,
)
from lasting.evaluations.models import DeclineReason, RequestStatus, ScreeningAnswer
from lasting.patients.models import Language
from lasting_core.instruments import InstrumentCode, get_instrument

LANGUAGES = {code.value for code in Language}
SCREENING_LABELS = dict(ScreeningAnswer.choices)


def visitor_language(request: HttpRequest) -> str:
    """A language the visitor chose (?lang=), else their browser's, limited to en/es."""
    chosen = request.POST.get("lang") or request.GET.get("lang") or ""
    if chosen in LANGUAGES:
        return chosen
    detected = translation.get_language_from_request(request)
    return detected if detected in LANGUAGES else Language.ENGLISH.value


def render_public(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object],
    *,
    organization: Organization,
    language: str,
    status: int = 200,
) -> HttpResponse:
    """Render in `language`, with the organisation's crisis line in that language."""
    with translation.override(language):
        page = {
            **context,
            "organization": organization,
            "language": language,
            "crisis": find_crisis_line(organization, language),
        }
        response = render(request, template, page, status=status)
    response["Content-Language"] = language
    return response


def posted_item9_positive(request: HttpRequest) -> bool:
    return request.POST.get(field_name(InstrumentCode.PHQ9.value, "q9"), "") in {"1", "2", "3"}


# No session, no sign-in: nothing ambient for a cross-site post to borrow, and a CSRF
# failure must never be why an answer about self-harm is lost.
@public_page
@csrf_exempt
@never_cache
def request_evaluation(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page where a prospective patient asks for a confidential evaluation."""
    organization = queries.find_organization_by_slug(slug)
    language = visitor_language(request)
    template = "evaluations/request_form.html"
    if request.method != "POST":
        with translation.override(language):
            form = EvaluationRequestForm(
                organization=organization,
                language=language,
                initial={
                    "idempotency_key": uuid.uuid4().hex,
                    "started": services.sign_form_start(timezone.now()),
                },
            )
        return render_public(
            request, template, {"form": form}, organization=organization, language=language
        )
    with translation.override(language):
        form = EvaluationRequestForm(request.POST, organization=organization, language=language)
        valid = form.is_valid()
    if not valid:
        return render_public(
            request,
            template,
            {"form": form, "needs_crisis_support": posted_item9_positive(request)},
            organization=organization,
            language=language,
            status=422,
        )
    try:
        received = services.receive_request(
            services.public_actor(
                organization, request.META.get("REMOTE_ADDR"), getattr(request, "request_id", "")
            ),
            organization,
            {**form.cleaned_data, "language": language},
            honeypot=request.POST.get(HONEYPOT, ""),
            started=form.cleaned_data["started"],
        )
    except services.Refusal as refusal:
        response = render_public(
            request,
            "evaluations/request_refused.html",
            {"needs_crisis_support": posted_item9_positive(request)},
            organization=organization,
            language=language,
            status=429,
        )
        if refusal.lockout is not None:
            response["Retry-After"] = str(int(refusal.lockout.retry_after.total_seconds()) + 1)
        return response
    return render_public(
        request,
        "evaluations/request_sent.html",
        {"needs_crisis_support": received.item9_positive},
        organization=organization,
        language=language,
    )


@public_page
@never_cache
def what_to_expect(request: HttpRequest, slug: str) -> HttpResponse:
    """Induction, maintenance and check-ins in plain words."""
    organization = queries.find_organization_by_slug(slug)
    language = visitor_language(request)
    return render_public(
        request, "evaluations/what_to_expect.html", {}, organization=organization, language=language
    )


# The staff's inbox ------------------------------------------------------------------------


@login_required
def inbox(request: ClinicRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    rows = queries.list_requests_for(
        request.membership, Actor.from_request(request), show_all=show_all
    )
    public_url = ""
    if request.membership is not None:
        public_url = settings.SITE_URL + reverse(
            "evaluations:request", args=[request.membership.organization.slug]
        )
    return render(
        request,
        "evaluations/inbox.html",
        {"requests": rows, "show_all": show_all, "public_url": public_url},
    )


@login_required
def detail(request: ClinicRequest, request_id: int) -> HttpResponse:
    page = queries.get_request_for(request.membership, request_id, Actor.from_request(request))
    return render(request, "evaluations/detail.html", detail_context(request, page))


def detail_context(
    request: ClinicRequest, page: queries.RequestPage, **extra: object
) -> dict[str, object]:
    evaluation = page.request
    return {
        "page": page,
        "evaluation": evaluation,
        "status_form": extra.pop("status_form", None) or StatusForm(),
        "diagnoses": [str(DIAGNOSIS_WORDS.get(code, code)) for code in evaluation.known_diagnoses],
        "score_rows": [
            {
                "code": score.instrument.value,
                "name": get_instrument(score.instrument).name,
                "total": f"{score.total:g}" if score.total is not None else "not scored",
                "band": score.band.label if score.band else "",
            }
            for score in page.scores
        ],
        "screening_rows": [
            (
                str(question),
                page.screening.get(key, ""),
                SCREENING_LABELS.get(page.screening.get(key, ""), ""),
            )
            for key, question in SCREENING_QUESTIONS.items()
        ],
        "decline_reasons": DeclineReason.choices,
        "is_open": evaluation.status in queries.OPEN_STATUSES,
        **extra,
    }


@login_required
@require_POST
def change_status(request: ClinicRequest, request_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(
                actor,
                request.membership,
                request_id,
                RequestStatus(form.cleaned_data["status"]),
                reason=form.cleaned_data["decline_reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, "Status changed.")
            return redirect("evaluations:detail", request_id=request_id)
    page = queries.get_request_for(request.membership, request_id, actor)
    return render(
        request,
        "evaluations/detail.html",
        detail_context(request, page, status_form=form),
        status=422,
    )


@login_required
@require_POST
def book(request: ClinicRequest, request_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    # The same 404 for another organisation's request as every other page gives.
    queries.get_request_for(request.membership, request_id, actor)
    evaluation = services.book_evaluation(actor, request.membership, request_id)
    messages.success(
        request,
        f"Evaluation booked: {evaluation.full_name} is a patient in the evaluation phase, "
        "with the request's answers as the first check-in.",
    )
    return redirect("evaluations:detail", request_id=request_id)
