from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Location
from lasting.alerts.models import AlertKind, Priority
from lasting.alerts.queries import list_alerts_for, list_patient_alerts_for
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event, record_patients_shown
from lasting.checkins.forms import IssueLinkForm
from lasting.checkins.models import CheckIn
from lasting.clinic.charts import Timeline, gad7_spec, risk_spec, timeline_spec
from lasting.clinic.forms import CaseloadFilterForm
from lasting.clinic.queries import find_caseload_for, list_quiet_patients_for
from lasting.costs.queries import cost_context_for
from lasting.outcomes.queries import expectation_context_for
from lasting.outreach.models import OutreachChannel, OutreachOutcome
from lasting.patients.models import Patient
from lasting.patients.queries import find_current_course, get_patient_for
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.plans.services import plan_or_default
from lasting.treatment.models import AppointmentStatus
from lasting.vega import BUNDLE_PATH

CASELOAD_PAGE_SIZE = 100
REVIEW_PAGE_SIZE = 300


def home(request: ClinicRequest) -> HttpResponse:
    """Send each person to the page their role works from."""
    if rules.can_manage_organization(request.membership) and not rules.can_view_patients(
        request.membership
    ):
        return redirect("accounts:organization")
    return redirect("clinic:caseload")


@login_required
def caseload(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role has no caseload.")
    now = timezone.now()
    mine = request.GET.get("mine") == "1"
    show_risk = rules.can_review_alerts(membership)
    filter_form = CaseloadFilterForm(request.GET, membership=membership, show_risk=show_risk)
    caseload = find_caseload_for(
        membership,
        now=now,
        assigned_to_id=request.user.pk if mine else None,
        filters=filter_form.filters(),
        include_alerts=rules.can_handle_safety_alerts(membership),
        include_clinical=rules.can_view_clinical_record(membership),
        include_risk=show_risk,
    )
    # The pager keeps the filters: every parameter but the page number.
    kept = request.GET.copy()
    kept.pop("page", None)
    # The database sorts the whole caseload; one page of the most pressing is read.
    patient_count = caseload.count()
    pages = max(1, -(-patient_count // CASELOAD_PAGE_SIZE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    first = (page - 1) * CASELOAD_PAGE_SIZE
    shown = caseload.rows(first, first + CASELOAD_PAGE_SIZE)
    record_patients_shown(
        Actor.from_request(request),
        Action.SEARCH,
        [row.patient.pk for row in shown],
        organization_id=membership.organization_id,
        list_name="caseload",
    )
    return render(
        request,
        "clinic/caseload.html",
        {
            "rows": [(row, row.days_since_last_session(now)) for row in shown],
            "mine": mine,
            "filter_form": filter_form,
            "show_risk": show_risk,
            "kept_query": kept.urlencode(),
            "patient_count": patient_count,
            "page": page,
            "pages": pages,
            "first_shown": first + 1 if shown else 0,
            "last_shown": first + len(shown),
        },
    )


@login_required
def patient(request: ClinicRequest, patient_id: int) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, patient_id, actor=Actor.from_request(request))
    record_event(
        Actor.from_request(request),
        Action.READ,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=patient,
    )
    clinical = rules.can_view_clinical_record(membership)
    reviewer = rules.can_review_alerts(membership)
    appointments = list(
        patient.appointments.filter(
            starts_at__gte=timezone.now(), status=AppointmentStatus.SCHEDULED
        )
        .select_related("location", "clinician")
        .order_by("starts_at")[:20]
    )
    context: dict[str, object] = {
        "patient": patient,
        "course": find_current_course(patient),
        "appointments": appointments,
        "outreach": list(patient.outreach.select_related("recorded_by")[:5]),
        "outreach_channels": OutreachChannel.choices,
        "outreach_outcomes": OutreachOutcome.choices,
        "can_view_clinical_record": clinical,
        "can_log_sessions": rules.can_log_sessions(membership),
        "can_issue_links": rules.can_issue_checkin_links(membership),
        "can_enter_checkins": rules.can_enter_checkins(membership),
        "can_export_patient_record": rules.can_export_patient_record(membership),
    }
    if not clinical:
        # Schedulers: contact details and appointments only (docs/clinical.md#roles).
        return render(request, "clinic/patient.html", context)
    responses = list(patient.responses.order_by("observed_at"))
    sessions = list(
        patient.sessions.select_related("monitoring_form")
        .prefetch_related("vitals")
        .order_by("started_at")
    )
    # Every alert this member may see, newest first, with who acknowledged, who contacted
    # the patient and how it ended.
    alert_history = (
        list_patient_alerts_for(membership, patient)
        if rules.can_handle_safety_alerts(membership)
        else []
    )
    life_context = life_context_of(patient)
    timeline = Timeline(
        zone=ZoneInfo(patient.time_zone),
        responses=responses,
        sessions=sessions,
        assessments=list(
            patient.assessments.defer("engine_state", "signals").order_by("assessed_on")
        )
        if reviewer
        else [],
        alerts=list(reversed(alert_history)) if reviewer else [],
        proposals=list(patient.proposals.order_by("created_at")) if reviewer else [],
        **life_context,
    )
    assessment = timeline.assessments[-1] if timeline.assessments else None
    checkins = list(
        CheckIn.objects.filter(patient=patient)
        .prefetch_related("responses")
        .order_by("-submitted_at")[:60]
    )
    context.update(
        {
            "chart_spec": timeline_spec(timeline),
            "risk_spec": risk_spec(timeline),
            "gad7_spec": gad7_spec(timeline),
            "assessment": assessment,
            "plan": plan_or_default(patient) if reviewer else None,
            "open_proposals": [p for p in timeline.proposals if p.status == ProposalStatus.OPEN],
            "locations": list(
                Location.objects.filter(organization_id=patient.organization_id, is_active=True)
            ),
            "bundle_path": BUNDLE_PATH,
            "sessions": list(reversed(sessions)),
            "checkins": checkins,
            # The open alerts are the history's, not a second query.
            "alerts": [alert for alert in alert_history if alert.is_unresolved],
            "alert_history": alert_history,
            "link_form": IssueLinkForm(),
            "today": today_in(patient.organization.time_zone),
            "life_context": {name: rows[::-1] for name, rows in life_context.items()},
        }
    )
    context.update(cost_context_for(membership, patient))
    context.update(expectation_context_for(membership, patient, context["course"]))
    return render(request, "clinic/patient.html", context)


def life_context_of(patient: Patient) -> dict[str, list[Any]]:
    """The patient's life events, medication changes and therapy, oldest first (the
    chart's order; the page lists them newest first)."""
    return {
        "life_events": list(patient.life_events.select_related("recorded_by")),
        "medication_changes": list(patient.medication_changes.select_related("recorded_by")),
        "therapy_events": list(patient.therapy_events.select_related("recorded_by")),
    }


@login_required
def review(request: ClinicRequest) -> HttpResponse:
    """The needs-review queue: engine alerts and booster proposals awaiting a decision."""
    membership = request.membership
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians review alerts and proposals.")
    # Safety alerts have their own list; those from imported history wait here for review.
    alert_rows = list_alerts_for(membership).exclude(
        Q(kind=AlertKind.SAFETY) & ~Q(priority=Priority.REVIEW)
    )
    proposal_rows = BoosterProposal.objects.filter(
        organization_id=membership.organization_id, status=ProposalStatus.OPEN
    )
    alerts = list(alert_rows[:REVIEW_PAGE_SIZE])
    proposals = list(
        proposal_rows.select_related("patient").order_by("latest_on")[:REVIEW_PAGE_SIZE]
    )
    record_patients_shown(
        Actor.from_request(request),
        Action.SEARCH,
        list(dict.fromkeys([row.patient_id for row in alerts + proposals])),
        organization_id=membership.organization_id,
        list_name="review",
    )
    return render(
        request,
        "clinic/review.html",
        {
            "alerts": alerts,
            "proposals": proposals,
            "alert_count": alert_rows.count(),
            "locations": list(
                Location.objects.filter(organization_id=membership.organization_id, is_active=True)
            ),
            "proposal_count": proposal_rows.count(),
        },
    )


@login_required
def quiet(request: ClinicRequest) -> HttpResponse:
    """Who has not checked in: the clinical team's call list."""
    membership = request.membership
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role has no patients to contact.")
    now = timezone.now()
    rows = list_quiet_patients_for(membership, now=now, quiet_days=settings.QUIET_AFTER_DAYS)
    record_patients_shown(
        Actor.from_request(request),
        Action.SEARCH,
        [row.patient.pk for row in rows],
        organization_id=membership.organization_id,
        list_name="not checked in",
    )
    return render(
        request,
        "clinic/quiet.html",
        {
            "rows": [(row, row.days_quiet(now)) for row in rows],
            "quiet_days": settings.QUIET_AFTER_DAYS,
            "outreach_channels": OutreachChannel.choices,
            "outreach_outcomes": OutreachOutcome.choices,
        },
    )
