"""Signing in to the patient's own pages: ask for an e-mailed link, confirm and use it,
sign out (the session itself: `portal.sessions`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from lasting.accounts.tenancy import public_page
from lasting.audit.models import Action
from lasting.audit.services import record_event
from lasting.portal import services
from lasting.portal.forms import SignInForm
from lasting.portal.services import SignInLinkError, SignInProblem
from lasting.portal.sessions import (
    end_patient_session,
    find_session_patient,
    patient_session_actor,
    start_patient_session,
)
from lasting.portal.views import (
    browser_language,
    patient_language,
    render_patient_page,
    sign_in_url,
)

SIGN_IN_PROBLEM_STATUS = {
    SignInProblem.INVALID: 404,
    SignInProblem.EXPIRED: 410,
    SignInProblem.USED: 410,
}


@public_page
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by e-mail; the answer never says whether the address is known."""
    if find_session_patient(request).patient is not None:
        return redirect("portal:home")
    language = browser_language(request)
    context: dict[str, object] = {
        "language": language,
        "timed_out": request.GET.get("timed_out") == "1",
        "signed_out": request.GET.get("signed_out") == "1",
    }
    if request.method != "POST":
        with translation.override(language):
            form = SignInForm()
        return render_patient_page(
            request, "portal/sign_in.html", {**context, "form": form}, language=language
        )
    with translation.override(language):
        form = SignInForm(request.POST)
        valid = form.is_valid()
    if not valid:
        return render_patient_page(
            request, "portal/sign_in.html", {**context, "form": form}, language=language, status=422
        )
    throttled = services.request_sign_in(
        form.cleaned_data["email"],
        client=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )
    if throttled is not None:
        response = render_patient_page(
            request,
            "portal/sign_in.html",
            {**context, "form": form, "throttled_minutes": throttled.minutes},
            language=language,
            status=429,
        )
        response["Retry-After"] = str(int(throttled.retry_after.total_seconds()) + 1)
        return response
    return redirect(f"{reverse('portal:sign_in_sent')}?{urlencode({'lang': language})}")


@never_cache
def sign_in_sent(request: HttpRequest) -> HttpResponse:
    language = browser_language(request)
    return render_patient_page(
        request, "portal/sign_in_sent.html", {"language": language}, language=language
    )


@public_page
@never_cache
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm, then use, an e-mailed sign-in link.

    Opening the link shows one button; only pressing it uses the link. Mail scanners
    that open every link in an e-mail would otherwise use it up before the patient does.
    """
    client = request.META.get("REMOTE_ADDR")
    request_id = getattr(request, "request_id", "")
    try:
        if request.method != "POST":
            patient = services.check_sign_in_link(token)
            return render_patient_page(
                request,
                "portal/sign_in_confirm.html",
                {"organization": patient.organization},
                language=patient_language(patient),
            )
        patient = services.use_sign_in_link(token, client=client, request_id=request_id)
    except SignInLinkError as error:
        known = error.patient
        return render_patient_page(
            request,
            "portal/sign_in_problem.html",
            {"problem": error.problem.value, "organization": known.organization if known else None},
            language=patient_language(known) if known else browser_language(request),
            status=SIGN_IN_PROBLEM_STATUS[error.problem],
        )
    start_patient_session(request, patient)
    return redirect("portal:home")


@never_cache
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("portal:home")
    session = find_session_patient(request)
    language = browser_language(request)
    if session.patient is not None:
        language = patient_language(session.patient)
        record_event(
            patient_session_actor(request, session.patient),
            Action.LOGOUT,
            patient_id=session.patient.pk,
        )
        end_patient_session(request)
    return redirect(sign_in_url(language, signed_out="1"))
