from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lasting.alerts.queries import list_alerts_for
from lasting.alerts.services import acknowledge_alert
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    alerts = list(list_alerts_for(membership)[:500])
    actor = Actor.from_request(request)
    record_event(actor, Action.SEARCH, organization_id=membership.organization_id)
    return render(request, "alerts/alert_list.html", {"alerts": alerts})


@login_required
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = acknowledge_alert(
        Actor.from_request(request),
        request.membership,
        alert_id,  # type: ignore[attr-defined]
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "alerts/alert_row.html", {"alert": alert})
    return redirect(request.POST.get("next") or "alerts:list")
