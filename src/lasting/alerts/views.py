from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.navigation import redirect_back
from lasting.alerts.queries import list_alerts_for
from lasting.alerts.services import acknowledge_alert, check_alert_access, resolve_alert
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event


@login_required
def alert_list(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians review alerts.")
    alerts = list(list_alerts_for(membership)[:500])
    actor = Actor.from_request(request)
    record_event(actor, Action.SEARCH, organization_id=membership.organization_id)
    return render(request, "alerts/alert_list.html", {"alerts": alerts})


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
def resolve(request: ClinicRequest, alert_id: int) -> HttpResponse:
    note = request.POST.get("note", "").strip()
    if not note:
        check_alert_access(
            Actor.from_request(request), request.membership, alert_id, Action.RESOLVE
        )
        return render(
            request,
            "alerts/alert_problem.html",
            {
                "message": "Say how the alert was resolved (for example: called the patient; "
                "safety plan reviewed)."
            },
            status=422,
        )
    alert = resolve_alert(Actor.from_request(request), request.membership, alert_id, note[:2000])
    if request.htmx:
        return render(request, "alerts/alert_row.html", {"alert": alert})
    return redirect_back(request, "alerts:list")
