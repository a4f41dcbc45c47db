from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.services import Actor
from lasting.patients.forms import PatientForm
from lasting.patients.services import create_patient


@login_required
def new_patient(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not rules.can_edit_patients(membership):
        raise PermissionDenied("Your role cannot register patients.")
    form = PatientForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            patient = create_patient(
                Actor.from_request(request),
                membership.organization,
                started_on=today_in(membership.organization.time_zone),
                **fields,
            )
        except IntegrityError:
            # Two people registered the same record number at the same moment.
            form.add_error("record_number", "Another patient already has this record number.")
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    return render(
        request, "patients/patient_form.html", {"form": form}, status=422 if form.errors else 200
    )
