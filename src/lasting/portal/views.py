"""Pages a patient opens: the check-in form from a link, and their own page after signing in.

Whatever happens to a submission, a reported thought of self-harm is never lost: if
the check-in cannot be stored (a used link, a changed resubmission, a form with an
error), a safety alert still opens and the crisis resources are shown at once. The same
holds for a note that matches the screening phrase list.

Every page is in the patient's language when the patient is known (link or session),
otherwise in the browser's (English or Spanish), and carries the crisis resources.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from lasting.accounts.models import Organization
from lasting.accounts.queries import find_crisis_line
from lasting.accounts.tenancy import public_page
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.forms import field_name
from lasting.checkins.models import CheckIn, CheckInLink, Instrument, Source
from lasting.checkins.services import (
    IdempotencyConflict,
    LinkError,
    LinkProblem,
    link_for_scheduled,
    open_link,
)
from lasting.costs.wording import portal_cost_context
from lasting.intake.services import (
    report_unstored_checkin,
    submit_checkin_with_personal_items,
)
from lasting.outreach.queries import upcoming_checkins
from lasting.patients.models import Language, Patient
from lasting.portal.charts import phq9_spec
from lasting.portal.forms import PatientCheckInForm, personal_answers
from lasting.portal.queries import PatientHome, get_home_for
from lasting.portal.sessions import (
    find_session_patient,
    patient_session_actor,
)
from lasting.portal.wording import band_words, describe_plan, session_words
from lasting.prevention.queries import find_current_plan, has_current_plan, list_asked_items
from lasting.vega import BUNDLE_PATH
from lasting_core.instruments import InstrumentCode, ScoreFlag
from lasting_core.screening import screen_note

log = logging.getLogger("lasting.portal")

LANGUAGES = {code.value for code in Language}
# Why a page shows the crisis resources first (the wording differs).
CRISIS_ITEM9 = "item9"
CRISIS_NOTE = "note"
LINK_PROBLEM_STATUS = {LinkProblem.INVALID: 404, LinkProblem.EXPIRED: 410, LinkProblem.USED: 410}


def browser_language(request: HttpRequest) -> str:
    """A language the visitor chose (?lang=), else their browser's, limited to en/es."""
    chosen = request.POST.get("lang") or request.GET.get("lang") or ""
    if chosen in LANGUAGES:
        return chosen
    detected = translation.get_language_from_request(request)
    return detected if detected in LANGUAGES else Language.ENGLISH.value


def patient_language(patient: Patient) -> str:
    language = patient.preferred_language
    return language if language in LANGUAGES else Language.ENGLISH.value


def render_patient_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    """Render in `language`, with the crisis line every patient page shows."""
    organization = context.get("organization")
    with translation.override(language):
        page = {
            **context,
            "crisis": find_crisis_line(
                organization if isinstance(organization, Organization) else None, language
            ),
        }
        response = render(request, template, page, status=status)
    response["Content-Language"] = language
    return response


def staff_refused(request: HttpRequest) -> HttpResponse:
    """A patient's page asked for by a signed-in member of staff: staff are never patients,
    whatever their session holds."""
    return render_patient_page(
        request,
        "portal/staff_session.html",
        {},
        language=browser_language(request),
        status=403,
    )


def link_actor(request: HttpRequest, link: CheckInLink) -> Actor:
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


def safety_net(request: HttpRequest, link: CheckInLink | None, situation: str) -> str:
    """Keep the safety signal of a submission that was not stored: a positive item 9, a
    note that matches the screening phrase list. Return why crisis resources show ("" if
    not)."""
    item9 = posted_item9(request)
    note = request.POST.get("note", "")
    note_matched = screen_note(note).matched
    if item9 is None and not note_matched:
        return ""
    if link is not None:
        report_unstored_checkin(link.patient, item9=item9, note=note, situation=situation)
    return CRISIS_ITEM9 if item9 is not None else CRISIS_NOTE


# The link's secret token is the credential, not a cookie: there is no ambient
# authority for a cross-site request to borrow, and a CSRF failure must never be the
# reason a patient's answers (item 9 among them) are thrown away.
@public_page
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
    language = patient_language(patient)
    context: dict[str, object] = {"organization": link.organization, "patient": patient}
    asked = list_asked_items(patient) if Instrument.DAILY in link.instruments else []
    with translation.override(language):
        if not is_post:
            # The form greets the patient by name: a read of their data by the link's holder.
            record_event(
                link_actor(request, link),
                Action.READ,
                patient_id=patient.pk,
                organization_id=patient.organization_id,
                obj=link,
            )
            form = PatientCheckInForm(
                instruments=link.instruments,
                language=language,
                personal_items=asked,
                initial={"idempotency_key": uuid.uuid4().hex},
            )
            return render_patient_page(
                request, "portal/checkin_form.html", {**context, "form": form}, language=language
            )
        form = PatientCheckInForm(
            request.POST, instruments=link.instruments, language=language, personal_items=asked
        )
        valid = form.is_valid()
    if not valid:
        if form.has_error(NON_FIELD_ERRORS, "blank") and Instrument.PHQ9 in link.instruments:
            # Nothing stored and the link still open, but an unanswered item 9 is not
            # evidence of safety: the care team hears of it as of any missing item 9.
            report_unstored_checkin(
                patient, item9=None, note="", situation="sent empty", item9_missing=True
            )
        crisis = safety_net(request, link, "the form had errors")
        return render_patient_page(
            request,
            "portal/checkin_form.html",
            {
                **context,
                "form": form,
                "needs_crisis_support": bool(crisis),
                "crisis_reason": crisis,
            },
            language=language,
            status=422,
        )
    try:
        recorded = submit_checkin_with_personal_items(
            link_actor(request, link),
            patient,
            form.cleaned_data["scores"],
            personal_answers(form),
            source=Source.LINK,
            link=link,
            idempotency_key=form.cleaned_data["idempotency_key"],
            note=form.cleaned_data.get("note", ""),
        )
    except IdempotencyConflict:
        return link_problem(request, "conflict", link=link, status=422)
    except LinkError as error:
        return link_problem(request, error.problem, link=link)
    crisis = crisis_reason(recorded.checkin)
    with translation.override(language):
        next_day = next_checkin_day(patient, timezone.now())
    return render_patient_page(
        request,
        "portal/checkin_done.html",
        {
            **context,
            "needs_crisis_support": bool(crisis),
            "crisis_reason": crisis,
            "next_checkin_day": next_day,
        },
        language=language,
    )


def next_checkin_day(patient: Patient, now: datetime) -> str:
    """The local day the patient's next planned check-in opens, in the active language."""
    upcoming = [row for row in upcoming_checkins(patient, now) if row.opens_at > now]
    if not upcoming:
        return ""
    day_format = pgettext("date format: weekday, day and month", "l j F")
    return dateformat.format(
        upcoming[0].opens_at.astimezone(ZoneInfo(patient.time_zone)), day_format
    )


def upcoming_for_home(
    request: HttpRequest, patient: Patient, now: datetime
) -> list[dict[str, str]]:
    """The patient's open and next check-ins: a button for an open one, the day for the
    next. Call with the patient's language and time zone active."""
    zone = ZoneInfo(patient.time_zone)
    day_format = pgettext("date format: weekday, day and month", "l j F")
    time_format = pgettext("time format", "g:i A")
    rows = []
    planned = upcoming_checkins(patient, now)
    shown = [row for row in planned if row.opens_at <= now]  # every open one...
    shown += [row for row in planned if row.opens_at > now][:1]  # ...and the next
    for scheduled in shown:
        opens, expires = scheduled.opens_at.astimezone(zone), scheduled.expires_at.astimezone(zone)
        url = ""
        if scheduled.opens_at <= now:
            url = link_for_scheduled(patient_session_actor(request, patient), scheduled).url
        rows.append(
            {
                "url": url,
                "day": dateformat.format(opens, day_format),
                "until": dateformat.format(expires, day_format)
                + " "
                + dateformat.format(expires, time_format),
            }
        )
    return rows


def link_problem(
    request: HttpRequest,
    problem: LinkProblem | str,
    *,
    link: CheckInLink | None,
    status: int | None = None,
) -> HttpResponse:
    """Explain why the link cannot take this check-in; keep any item-9 answer safe."""
    crisis = ""
    if request.method == "POST":
        crisis = safety_net(request, link, f"link {problem}")
    code = status or LINK_PROBLEM_STATUS.get(LinkProblem(problem), 422)
    context = {
        "problem": str(problem),
        "needs_crisis_support": bool(crisis),
        "crisis_reason": crisis,
        "organization": link.organization if link else None,
        "patient": link.patient if link else None,
    }
    language = patient_language(link.patient) if link else browser_language(request)
    return render_patient_page(
        request, "portal/link_problem.html", context, language=language, status=code
    )


def crisis_reason(checkin: CheckIn) -> str:
    """Why crisis resources show first: PHQ-9 item 9 answered above 0, or a note that
    matches the screening phrase list; "" when neither."""
    if any(
        ScoreFlag.ITEM9_POSITIVE in response.flags
        for response in checkin.responses.filter(instrument=Instrument.PHQ9)
    ):
        return CRISIS_ITEM9
    return CRISIS_NOTE if screen_note(checkin.note).matched else ""


# Signing in -------------------------------------------------------------------------


def sign_in_url(language: str, **flags: str) -> str:
    return f"{reverse('portal:sign_in')}?{urlencode({**flags, 'lang': language})}"


# The patient's own page ----------------------------------------------------------------


def signed_in_patient(request: HttpRequest) -> Patient | HttpResponse:
    """The signed-in patient, or the answer a patient's page gives without one: staff are
    refused, anyone else goes to the sign-in page (told when their session timed out)."""
    if request.user.is_authenticated:
        return staff_refused(request)
    session = find_session_patient(request)
    if session.patient is None:
        flags = {"timed_out": "1"} if session.timed_out else {}
        return redirect(sign_in_url(browser_language(request), **flags))
    return session.patient


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's check-ins, appointments and plan, in plain words."""
    patient = signed_in_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    now = timezone.now()
    page = get_home_for(patient, now)
    record_event(
        patient_session_actor(request, patient), Action.READ, patient_id=patient.pk, obj=patient
    )
    language = patient_language(patient)
    zone = ZoneInfo(patient.time_zone)
    with translation.override(language), timezone.override(zone):
        context = home_context(patient, page, zone)
        context["upcoming"] = upcoming_for_home(request, patient, now)
        context.update(portal_cost_context(patient))
        context["has_prevention_plan"] = has_current_plan(patient)
        return render_patient_page(request, "portal/home.html", context, language=language)


# Patient-facing labels of the plan's sections, in the Stanley-Brown order.
PLAN_SECTIONS = (
    ("warning_signs", gettext_lazy("My warning signs")),
    ("coping_strategies", gettext_lazy("Things I can do on my own to cope")),
    ("people_and_places", gettext_lazy("People and places that help me take my mind off things")),
    ("help_contacts", gettext_lazy("People I can ask for help")),
    ("professional_contacts", gettext_lazy("Professionals and services I can contact")),
    ("safe_environment", gettext_lazy("Making my surroundings safe")),
    ("practice", gettext_lazy("Therapy and skills practice")),
)


@never_cache
def prevention_plan(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's current relapse-prevention plan, made to print."""
    patient = signed_in_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    version = find_current_plan(patient)
    record_event(
        patient_session_actor(request, patient),
        Action.READ,
        patient_id=patient.pk,
        obj=version,
        object_ref=None if version else ("PlanVersion", f"patient:{patient.pk}"),
    )
    language = patient_language(patient)
    zone = ZoneInfo(patient.time_zone)
    with translation.override(language):
        context: dict[str, object] = {
            "organization": patient.organization,
            "patient": patient,
            "signed_in": True,
            "version": version,
            "sections": [(label, getattr(version, name)) for name, label in PLAN_SECTIONS]
            if version
            else [],
            "items": [item.question_in(language) for item in list_asked_items(patient)],
            "updated_on": dateformat.format(
                version.created_at.astimezone(zone),
                pgettext("date format: day, month and year", "j F Y"),
            )
            if version
            else "",
        }
        return render_patient_page(request, "portal/plan.html", context, language=language)


def home_context(patient: Patient, page: PatientHome, zone: ZoneInfo) -> dict[str, object]:
    """Words and formats for the home page, in the active language and the patient's zone."""
    day_format = pgettext("date format: weekday, day and month", "l j F")
    short_day_format = pgettext("date format: day and month", "j F")
    time_format = pgettext("time format", "g:i A")
    last = page.last_checkin
    if last is None:
        last_sentence = gettext("You have not sent a check-in yet.")
    else:
        day = dateformat.format(last.submitted_at.astimezone(zone), short_day_format)
        words = band_words(last.phq9_band)
        last_sentence = (
            gettext("Your last check-in on %(day)s: %(words)s.") % {"day": day, "words": words}
            if words
            else gettext("Your last check-in was on %(day)s.") % {"day": day}
        )
    return {
        "organization": patient.organization,
        "patient": patient,
        "signed_in": True,
        "last_sentence": last_sentence,
        "chart_spec": phq9_spec(page.phq9, zone) if page.phq9 else None,
        "checkins": [
            {
                "day": dateformat.format(response.observed_at.astimezone(zone), short_day_format),
                "score": f"{response.total:g}" if response.total is not None else "",
                "words": band_words(response.band),
            }
            for response in reversed(page.phq9)
        ],
        "appointments": [
            {
                "day": dateformat.format(appointment.starts_at.astimezone(zone), day_format),
                "time": dateformat.format(appointment.starts_at.astimezone(zone), time_format),
                "what": session_words(appointment.kind),
                "where": appointment.location.name if appointment.location else "",
                "booster": page.booster is not None
                and page.booster.appointment_id == appointment.pk,
            }
            for appointment in page.appointments
        ],
        "plan_sentence": describe_plan(page.plan),
        "booster_day": dateformat.format(
            page.booster.appointment.starts_at.astimezone(zone), day_format
        )
        if page.booster is not None and page.booster.appointment is not None
        else "",
        "time_zone": patient.time_zone,
        "bundle_path": BUNDLE_PATH,
    }
