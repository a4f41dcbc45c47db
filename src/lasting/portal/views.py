"""Pages a patient opens from a check-in link, without a password."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from lasting.accounts.middleware import ClinicRequest
from lasting.audit.services import Actor
from lasting.checkins.forms import CheckInForm
from lasting.checkins.models import CheckIn, CheckInLink, Instrument
from lasting.checkins.services import IdempotencyConflict, LinkError, LinkProblem, open_link
from lasting.portal.services import submit_checkin_by_link

LINK_PROBLEM_STATUS = {LinkProblem.INVALID: 404, LinkProblem.EXPIRED: 410, LinkProblem.USED: 410}


def patient_actor(request: ClinicRequest, link: CheckInLink) -> Actor:
    return Actor(
        user_id=None,
        username=f"patient-link:{link.pk}",
        organization_id=link.organization_id,
        address=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )


@never_cache
def checkin(request: ClinicRequest, token: str) -> HttpResponse:
    try:
        link = open_link(token, allow_used=request.method == "POST")
    except LinkError as error:
        return render(
            request,
            "portal/link_problem.html",
            {"problem": error.problem.value},
            status=LINK_PROBLEM_STATUS[error.problem],
        )
    patient = link.patient
    context: dict[str, object] = {"organization": link.organization, "patient": patient}
    if request.method != "POST":
        form = CheckInForm(
            instruments=link.instruments,
            language=patient.preferred_language,
            initial={"idempotency_key": uuid.uuid4().hex},
        )
        return render(request, "portal/checkin_form.html", {**context, "form": form})

    form = CheckInForm(
        request.POST, instruments=link.instruments, language=patient.preferred_language
    )
    if not form.is_valid():
        return render(request, "portal/checkin_form.html", {**context, "form": form}, status=422)
    try:
        recorded = submit_checkin_by_link(
            patient_actor(request, link),
            link,
            form.cleaned_data["scores"],
            form.cleaned_data["idempotency_key"],
            form.cleaned_data.get("note", ""),
        )
    except IdempotencyConflict:
        return render(
            request, "portal/link_problem.html", {**context, "problem": "conflict"}, status=422
        )
    except LinkError as error:
        return render(
            request,
            "portal/link_problem.html",
            {**context, "problem": error.problem.value},
            status=LINK_PROBLEM_STATUS[error.problem],
        )
    return render(
        request,
        "portal/checkin_done.html",
        {**context, "needs_crisis_support": needs_crisis_support(recorded.checkin)},
    )


def needs_crisis_support(checkin: CheckIn) -> bool:
    """Show crisis resources first when PHQ-9 item 9 was answered above 0."""
    return any(
        (response.item9 or 0) >= 1
        for response in checkin.responses.filter(instrument=Instrument.PHQ9)
    )
