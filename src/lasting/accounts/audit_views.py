"""The clinic admin's view of the audit trail: who did what, when, from where — filtered,
paged, and downloadable as CSV. Both are audited themselves (a search; an export).

An admin sees the events of their organisation, and the sign-ins and sign-outs of its
members (those carry no organisation: a password is the person's, across organisations).
The trail holds ids, never clinical values, so neither does this page.
"""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Membership
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor, record_event

PAGE_SIZE = 100
CSV_COLUMNS = (
    "id",
    "at_utc",
    "username",
    "user_id",
    "organization_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "address",
    "request_id",
    "hash",
)


class AuditFilterForm(forms.Form):
    since = forms.DateField(
        required=False,
        label="From (clinic's date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        required=False,
        label="To (clinic's date, inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    username = forms.CharField(required=False, max_length=150)
    patient_id = forms.IntegerField(required=False, min_value=1, label="Patient id")
    action = forms.ChoiceField(required=False, choices=[("", "any"), *Action.choices])
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *Outcome.choices])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned


def trail_of(membership: Membership) -> QuerySet[AuditEvent]:
    """The events an admin of `membership`'s organisation may read."""
    members = Membership.objects.filter(organization_id=membership.organization_id)
    return AuditEvent.objects.filter(
        Q(organization_id=membership.organization_id)
        | Q(organization_id=None, user_id__in=members.values("user_id"))
    )


def filtered(
    events: QuerySet[AuditEvent], form: AuditFilterForm, zone: str
) -> QuerySet[AuditEvent]:
    """Apply the form's filters; dates are days on the organisation's clock."""
    data = form.cleaned_data
    clock = ZoneInfo(zone)
    if data.get("since"):
        events = events.filter(at__gte=datetime.combine(data["since"], time(), clock))
    if data.get("until"):
        end = datetime.combine(data["until"] + timedelta(days=1), time(), clock)
        events = events.filter(at__lt=end)
    if data.get("username"):
        events = events.filter(username=data["username"].strip())
    if data.get("patient_id"):
        events = events.filter(patient_id=data["patient_id"])
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("outcome"):
        events = events.filter(outcome=data["outcome"])
    return events


def read_trail(
    request: ClinicRequest,
) -> tuple[AuditFilterForm, QuerySet[AuditEvent] | None]:
    """The admin's filter form and the events it selects (None when the form is invalid)."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins read the audit trail.")
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    events = trail_of(membership)
    if form.is_bound:
        events = filtered(events, form, membership.organization.time_zone)
    return form, events


@login_required
@require_GET
def audit_trail(request: ClinicRequest) -> HttpResponse:
    form, events = read_trail(request)
    if events is None:
        return render(request, "accounts/audit_trail.html", {"form": form}, status=422)
    page = Paginator(events.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    record_event(
        Actor.from_request(request), Action.SEARCH, object_ref=("audit_trail", page.number)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def audit_trail_csv(request: ClinicRequest) -> HttpResponseBase:
    """The filtered trail as CSV, oldest first, streamed."""
    form, events = read_trail(request)
    if events is None:
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=422,
            content_type="text/plain",
        )
    record_event(Actor.from_request(request), Action.EXPORT, object_ref=("audit_trail", "csv"))
    writer = csv.writer(_Echo(), lineterminator="\n")

    def rows() -> Any:
        yield writer.writerow(CSV_COLUMNS)
        for event in events.order_by("id").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.pk,
                    event.at.isoformat(),
                    event.username,
                    event.user_id,
                    event.organization_id,
                    event.patient_id,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.outcome,
                    event.address,
                    event.request_id,
                    event.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
