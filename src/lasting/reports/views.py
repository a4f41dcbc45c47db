"""Progress reports: the clinician's page and PDF, the patient's page and PDF.

Each view checks access, reads the report (`queries.read_report`), writes one audit
event (a page view is a read, `?print=1` a print, a PDF an export) and renders. The
charts are the screen's Vega-Lite specs drawn to SVG on the server (`charts.py`), so the
page, the printout and the PDF show the same chart.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.queries import find_crisis_line
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.portal.sessions import patient_session_actor
from lasting.portal.views import (
    PLAN_SECTIONS,
    patient_language,
    render_patient_page,
    signed_in_patient,
)
from lasting.reports import wording
from lasting.reports.access import (
    PatientRecord,
    audit_record,
    get_record_patient_for,
    read_record,
)
from lasting.reports.charts import clinician_charts, patient_chart
from lasting.reports.pdf import html_to_pdf, pdf_response
from lasting.reports.queries import (
    REPORT_OBJECT,
    Period,
    PeriodError,
    ProgressReport,
    default_period,
    get_report_patient_for,
    parse_period,
    read_report,
)


def period_of(request: HttpRequest, patient: Patient) -> Period:
    """The `?from=&to=` period, else the whole course (raises PeriodError)."""
    return parse_period(
        request.GET.get("from", "").strip(),
        request.GET.get("to", "").strip(),
        default_period(patient),
    )


def audit_report(actor: Actor, action: Action, patient: Patient) -> None:
    record_event(
        actor,
        action,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        object_ref=(REPORT_OBJECT, patient.pk),
    )


def pdf_name(report: ProgressReport) -> str:
    return f"progress-report-{report.patient.pk}-{report.period.last_on.isoformat()}.pdf"


# The clinician's report ---------------------------------------------------------------


def clinician_context(report: ProgressReport) -> dict[str, object]:
    version = report.prevention_plan
    return {
        "report": report,
        "patient": report.patient,
        "first_on": wording.clinician_day(report.period.first_on),
        "last_on": wording.clinician_day(report.period.last_on),
        "period": report.period,
        "outcome": wording.clinician_outcome(report),
        "intervals": wording.clinician_intervals(report),
        "scores": wording.clinician_scores(report),
        "sessions": [
            {
                "day": wording.clinician_day(report.local_date(session.started_at)),
                "kind": session.get_kind_display(),
                "route": session.get_route_display(),
                "dose": f"{session.dose_mg:g} mg",
            }
            for session in report.sessions
        ],
        "boosters": len(report.boosters),
        "plan_sentence": wording.clinician_plan(report.maintenance_plan),
        "prevention_sections": [
            (label, getattr(version, name)) for name, label in PLAN_SECTIONS if version
        ],
        "prevention_updated_on": wording.clinician_day(report.local_date(version.created_at))
        if version
        else "",
        "monitoring_forms": [
            {
                "session_on": wording.clinician_day(report.local_date(form.session.started_at)),
                "due_on": wording.clinician_day(form.due_on),
                "submitted_on": wording.clinician_day(form.submitted_on)
                if form.submitted_on
                else "Not submitted",
                "reference": form.submission_reference,
            }
            for form in report.monitoring_forms
        ],
        "generated_on": wording.clinician_day(timezone.localdate(timezone=report.zone)),
        **clinician_charts(report),
    }


def read_clinician_report(request: ClinicRequest, patient_id: int) -> ProgressReport | HttpResponse:
    actor = Actor.from_request(request)
    patient = get_report_patient_for(request.membership, patient_id, actor)
    try:
        period = period_of(request, patient)
    except PeriodError as bad:
        return HttpResponseBadRequest(str(bad), content_type="text/plain; charset=utf-8")
    return read_report(patient, period)


@login_required
@never_cache
def clinician_report(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The report as a page; `?print=1` opens the print dialog (audited as a print)."""
    report = read_clinician_report(request, patient_id)
    if isinstance(report, HttpResponse):
        return report
    printing = request.GET.get("print") == "1"
    audit_report(
        Actor.from_request(request), Action.PRINT if printing else Action.READ, report.patient
    )
    query = request.GET.copy()
    query.pop("print", None)
    context = {**clinician_context(report), "printing": printing, "query": query.urlencode()}
    return render(request, "reports/clinician_page.html", context)


@login_required
@never_cache
def clinician_report_pdf(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The report as an A4 PDF download (audited as an export)."""
    report = read_clinician_report(request, patient_id)
    if isinstance(report, HttpResponse):
        return report
    html = render_to_string("reports/clinician_pdf.html", clinician_context(report))
    pdf = html_to_pdf(html)
    audit_report(Actor.from_request(request), Action.EXPORT, report.patient)
    return pdf_response(pdf, pdf_name(report))


# The patient's report -----------------------------------------------------------------


def patient_context(report: ProgressReport) -> dict[str, object]:
    """Words for the patient's report; call with the patient's language active."""
    version = report.prevention_plan
    return {
        "report": report,
        "patient": report.patient,
        "organization": report.patient.organization,
        "signed_in": True,
        "chart_svg": patient_chart(report),
        "prevention_sections": [
            (label, getattr(version, name))
            for name, label in PLAN_SECTIONS
            if version and getattr(version, name)
        ],
        "generated_on": wording.patient_day(timezone.localdate(timezone=report.zone)),
        **wording.patient_rows(report),
    }


def read_patient_report(request: HttpRequest) -> tuple[Patient, ProgressReport] | HttpResponse:
    """The signed-in patient's own report, or the answer a page gives without one."""
    patient = signed_in_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    try:
        period = period_of(request, patient)
    except PeriodError:
        with translation.override(patient_language(patient)):
            message = gettext("These dates could not be read. Write them as YYYY-MM-DD.")
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    return patient, read_report(patient, period)


@never_cache
def patient_report(request: HttpRequest) -> HttpResponse:
    """The patient's own report, in plain words and their language."""
    read = read_patient_report(request)
    if isinstance(read, HttpResponse):
        return read
    patient, report = read
    audit_report(patient_session_actor(request, patient), Action.READ, patient)
    language = patient_language(patient)
    with translation.override(language), timezone.override(ZoneInfo(patient.time_zone)):
        context = patient_context(report)
        return render_patient_page(request, "reports/patient_page.html", context, language=language)


@never_cache
def patient_report_pdf(request: HttpRequest) -> HttpResponse:
    """The patient's own report as a PDF (audited as an export)."""
    read = read_patient_report(request)
    if isinstance(read, HttpResponse):
        return read
    patient, report = read
    language = patient_language(patient)
    with translation.override(language), timezone.override(ZoneInfo(patient.time_zone)):
        # On paper too, the patient finds where to turn for help now.
        crisis = find_crisis_line(patient.organization, language)
        html = render_to_string(
            "reports/patient_pdf.html", {**patient_context(report), "crisis": crisis}
        )
        name = gettext("my-progress-report")
    pdf = html_to_pdf(html)
    audit_report(patient_session_actor(request, patient), Action.EXPORT, patient)
    response = pdf_response(pdf, f"{name}-{report.period.last_on.isoformat()}.pdf")
    response["Content-Language"] = language
    return response


# Right of access: the whole record ------------------------------------------------------


def record_context(record: PatientRecord) -> dict[str, object]:
    return {
        "record": record,
        "patient": record.patient,
        "organization": record.patient.organization,
        "generated_at": record.generated_at.astimezone(record.zone).strftime("%Y-%m-%d %H:%M"),
    }


def record_name(record: PatientRecord, extension: str) -> str:
    return f"record-{record.patient.pk}-{record.generated_at.date().isoformat()}.{extension}"


def record_json_response(record: PatientRecord) -> HttpResponse:
    response = HttpResponse(record.as_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{record_name(record, "json")}"'
    return response


def record_pdf_response(record: PatientRecord) -> HttpResponse:
    html = render_to_string("reports/record_pdf.html", record_context(record))
    return pdf_response(html_to_pdf(html), record_name(record, "pdf"))


def read_clinic_record(request: ClinicRequest, patient_id: int, action: Action) -> PatientRecord:
    actor = Actor.from_request(request)
    patient = get_record_patient_for(request.membership, patient_id, actor)
    record = read_record(patient)
    audit_record(actor, action, patient)
    return record


@login_required
@never_cache
def clinician_record(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's whole record on a page, before it is downloaded (audited as a read)."""
    record = read_clinic_record(request, patient_id, Action.READ)
    return render(request, "reports/record_page.html", record_context(record))


@login_required
@never_cache
def clinician_record_json(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's whole record as JSON (audited as an export)."""
    return record_json_response(read_clinic_record(request, patient_id, Action.EXPORT))


@login_required
@never_cache
def clinician_record_pdf(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's whole record as a PDF (audited as an export)."""
    return record_pdf_response(read_clinic_record(request, patient_id, Action.EXPORT))


def read_own_record(request: HttpRequest, action: Action) -> PatientRecord | HttpResponse:
    """The signed-in patient's own record, or the answer a page gives without one."""
    patient = signed_in_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    record = read_record(patient)
    audit_record(patient_session_actor(request, patient), action, patient)
    return record


@never_cache
def patient_record(request: HttpRequest) -> HttpResponse:
    """The patient's own whole record on a page, with its downloads."""
    record = read_own_record(request, Action.READ)
    if isinstance(record, HttpResponse):
        return record
    return render_patient_page(
        request,
        "reports/record_patient_page.html",
        record_context(record),
        language=patient_language(record.patient),
    )


@never_cache
def patient_record_json(request: HttpRequest) -> HttpResponse:
    record = read_own_record(request, Action.EXPORT)
    return record if isinstance(record, HttpResponse) else record_json_response(record)


@never_cache
def patient_record_pdf(request: HttpRequest) -> HttpResponse:
    record = read_own_record(request, Action.EXPORT)
    return record if isinstance(record, HttpResponse) else record_pdf_response(record)
