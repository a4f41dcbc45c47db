"""Pages a patient opens from a check-in link, without a password.

Whatever happens to a submission, a reported thought of self-harm is never lost: if
the check-in cannot be stored (a used link, a changed resubmission, a form with an
error), a safety alert still opens and the crisis resources are shown at once.
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from lasting.alerts.services import open_alert_for_unstored_answer, submit_checkin
from lasting.audit.services import Actor
from lasting.checkins.forms import CheckInForm, field_name
from lasting.checkins.models import CheckIn, CheckInLink, Instrument, Source
from lasting.checkins.services import IdempotencyConflict, LinkError, LinkProblem, open_link
from lasting.patients.models import Patient
from lasting.plans.services import refresh_patient
from lasting_core.instruments import InstrumentCode, ScoreFlag

log = logging.getLogger("lasting.portal")

LINK_PROBLEM_STATUS = {LinkProblem.INVALID: 404, LinkProblem.EXPIRED: 410, LinkProblem.USED: 410}


def patient_actor(request: HttpRequest, link: CheckInLink) -> Actor:
    return Actor(
        user_id=None,
        username=f"patient-link:{link.pk}",
        organization_id=link.organization_id,
        address=request.META.get("REMOTE_ADDR"),
        request_id=getattr(request, "request_id", ""),
    )


def posted_item9(request: HttpRequest) -> int | None:
    """The PHQ-9 item-9 answer in a POST, if it is a valid positive answer."""
    raw = request.POST.get(field_name(InstrumentCode.PHQ9.value, "q9"), "")
    return int(raw) if raw in {"1", "2", "3"} else None


def safety_net(request: HttpRequest, link: CheckInLink | None, situation: str) -> bool:
    """Open a safety alert for a positive item 9 in a submission that was not stored."""
    item9 = posted_item9(request)
    if item9 is None:
        return False
    if link is not None:
        with transaction.atomic():
            open_alert_for_unstored_answer(link.patient, item9, situation)
    return True


# The link's secret token is the credential, not a cookie: there is no ambient
# authority for a cross-site request to borrow, and a CSRF failure must never be the
# reason a patient's answers (item 9 among them) are thrown away.
@csrf_exempt
@never_cache
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    is_post = request.method == "POST"
    try:
        link = open_link(token, allow_used=is_post)
    except LinkError as error:
        # A genuine but expired or used link still names its patient, so a reported
        # thought of self-harm reaches the care team.
        return link_problem(request, error.problem, link=error.link)
    patient = link.patient
    context: dict[str, object] = {"organization": link.organization, "patient": patient}
    if not is_post:
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
        crisis = safety_net(request, link, "the form had errors")
        return render(
            request,
            "portal/checkin_form.html",
            {**context, "form": form, "needs_crisis_support": crisis},
            status=422,
        )
    try:
        recorded = submit_checkin(
            patient_actor(request, link),
            patient,
            form.cleaned_data["scores"],
            source=Source.LINK,
            link=link,
            idempotency_key=form.cleaned_data["idempotency_key"],
            note=form.cleaned_data.get("note", ""),
        )
    except IdempotencyConflict:
        return link_problem(request, "conflict", link=link, status=422)
    except LinkError as error:
        return link_problem(request, error.problem, link=link)
    if recorded.created:
        reassess(patient)
    return render(
        request,
        "portal/checkin_done.html",
        {**context, "needs_crisis_support": needs_crisis_support(recorded.checkin)},
    )


def reassess(patient: Patient) -> None:
    """Update the patient's risk within this request (the check-in itself is committed)."""
    try:
        refresh_patient(patient)
    except Exception:  # never fail the patient's submission; the next sweep re-assesses
        log.exception("patient %s: re-assessment after a check-in failed", patient.pk)


def link_problem(
    request: HttpRequest,
    problem: LinkProblem | str,
    *,
    link: CheckInLink | None,
    status: int | None = None,
) -> HttpResponse:
    """Explain why the link cannot take this check-in; keep any item-9 answer safe."""
    crisis = False
    if request.method == "POST":
        crisis = safety_net(request, link, f"link {problem}")
    code = status or LINK_PROBLEM_STATUS.get(LinkProblem(problem), 422)
    context = {
        "problem": str(problem),
        "needs_crisis_support": crisis,
        "organization": link.organization if link else None,
        "patient": link.patient if link else None,
    }
    return render(request, "portal/link_problem.html", context, status=code)


def needs_crisis_support(checkin: CheckIn) -> bool:
    """Show crisis resources first when PHQ-9 item 9 was answered above 0."""
    return any(
        ScoreFlag.ITEM9_POSITIVE in response.flags
        for response in checkin.responses.filter(instrument=Instrument.PHQ9)
    )
