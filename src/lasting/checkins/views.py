from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.services import Actor
from lasting.checkins.forms import IssueLinkForm
from lasting.checkins.services import issue_link
from lasting.patients.queries import get_patient_for
from lasting_core.instruments import InstrumentCode


@login_required
@require_POST
def new_link(request: ClinicRequest, patient_id: int) -> HttpResponse:
    membership = request.membership
    if not rules.can_issue_checkin_links(membership):
        raise PermissionDenied("Your role cannot issue check-in links.")
    patient = get_patient_for(membership, patient_id, actor=Actor.from_request(request))
    form = IssueLinkForm(request.POST)
    if not form.is_valid():
        return render(
            request, "checkins/link_issued.html", {"form": form, "patient": patient}, status=422
        )
    issued = issue_link(
        Actor.from_request(request),
        patient,
        [InstrumentCode(code) for code in form.cleaned_data["instruments"]],
    )
    template = "checkins/link_issued.html" if request.htmx else "checkins/link_page.html"
    return render(request, template, {"issued": issued, "patient": patient})
