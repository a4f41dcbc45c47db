"""The clinic's outcome analytics: `/outcomes/`, aggregate only, each table as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.rules import can_view_outcomes
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.outcomes.forms import OutcomeFilterForm
from lasting.outcomes.queries import find_alert_performance_for, find_page_for
from lasting.outcomes.tables import alert_performance_table
from lasting.vega import BUNDLE_PATH


@login_required
def analytics(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not can_view_outcomes(membership):
        raise PermissionDenied("Your role does not see the clinic's outcome report.")
    form = OutcomeFilterForm(request.GET or None, membership=membership)
    filters = form.filters()
    page, version = find_page_for(membership, filters)
    alerts = find_alert_performance_for(membership)
    report, tables = page.report, dict(page.tables)
    if alerts is not None:
        tables["alerts"] = alert_performance_table(
            alerts.performance, alerts.proposals, alerts.burden
        )
    actor = Actor.from_request(request)
    download = request.GET.get("download")
    if download is not None:
        table = tables.get(download)
        if table is None:
            raise Http404("No such table.")
        record_event(
            actor,
            Action.EXPORT,
            organization_id=membership.organization_id,
            object_ref=("OutcomeTable", download),
        )
        response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="outcomes-{download}.csv"'
        return response
    record_event(
        actor,
        Action.READ,
        organization_id=membership.organization_id,
        object_ref=("OutcomeReport", filters.key()),
    )
    query = request.GET.copy()
    query.pop("download", None)
    context = {
        "form": form,
        "report": report,
        "tables": tables,
        "version": version,
        "query": query.urlencode(),
        "chart_spec": page.chart_spec,
        "bundle_path": BUNDLE_PATH,
        "alerts": alerts,
        "boosters": page.boosters,
    }
    return render(request, "outcomes/analytics.html", context)
