from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.navigation import redirect_back
from lasting.accounts.queries import find_crisis_line
from lasting.alerts.forms import ContactAttemptForm
from lasting.alerts.models import Alert, ContactOutcome
from lasting.alerts.queries import get_alert_for, list_alerts_for
from lasting.alerts.services import acknowledge_alert, record_contact_attempt, resolve_alert
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about, record_patients_shown


@login_required
def alert_list(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not rules.can_handle_safety_alerts(membership):
        raise PermissionDenied("Only clinicians and nurses handle alerts.")
    alerts = list(list_alerts_for(membership)[:500])
    actor = Actor.from_request(request)
    record_patients_shown(
        actor,
        Action.SEARCH,
        list(dict.fromkeys(alert.patient_id for alert in alerts)),
        organization_id=membership.organization_id,
        list_name="alerts",
    )
    return render(request, "alerts/alert_list.html", {"alerts": alerts})


@login_required
def detail(request: ClinicRequest, alert_id: int) -> HttpResponse:
    """The page an alert e-mail links to: made for a phone, to act from a call."""
    actor = Actor.from_request(request)
    alert = get_alert_for(request.membership, alert_id, actor=actor)
    record_about(actor, Action.READ, alert)
    return render_detail(request, alert, ContactAttemptForm())


def render_detail(
    request: ClinicRequest, alert: Alert, form: ContactAttemptForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "alerts/alert_detail.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "organization": alert.organization,
            "crisis_line": find_crisis_line(alert.organization, alert.patient.preferred_language),
            "attempts": list(alert.contact_attempts.select_related("recorded_by")),
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def acknowledge(request: ClinicRequest, alert_id: int) -> HttpResponse:
    alert = acknowledge_alert(
        Actor.from_request(request),
        request.membership,
        alert_id,
    )
    if request.htmx:
        return render(request, "alerts/alert_row.html", {"alert": alert})
    return redirect_back(request, "alerts:list")


@login_required
@require_POST
def contact(request: ClinicRequest, alert_id: int) -> HttpResponse:
    """Record one attempt to contact the patient; a closing outcome closes the alert."""
    actor = Actor.from_request(request)
    form = ContactAttemptForm(request.POST)
    if form.is_valid():
        try:
            record_contact_attempt(
                actor,
                request.membership,
                alert_id,
                ContactOutcome(form.cleaned_data["outcome"]),
                form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("alerts:detail", alert_id=alert_id)
    alert = get_alert_for(request.membership, alert_id, actor=actor, action=Action.CREATE)
    return render_detail(request, alert, form, status=422)


@login_required
@require_POST
def resolve(request: ClinicRequest, alert_id: int) -> HttpResponse:
    """Close an engine alert with a note (safety alerts are closed by a contact outcome)."""
    try:
        alert = resolve_alert(
            Actor.from_request(request),
            request.membership,
            alert_id,
            request.POST.get("note", ""),
        )
    except ValidationError as error:
        return render(
            request, "alerts/alert_problem.html", {"message": " ".join(error.messages)}, status=422
        )
    if request.htmx:
        return render(request, "alerts/alert_row.html", {"alert": alert})
    return redirect_back(request, "alerts:list")
