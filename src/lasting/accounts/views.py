from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Location, Membership


@login_required
def organization(request: ClinicRequest) -> HttpResponse:
    """The clinic admin's page: locations, people and roles, alert policy, crisis line."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins manage the organisation.")
    organization = membership.organization
    return render(
        request,
        "accounts/organization.html",
        {
            "organization": organization,
            "locations": Location.objects.filter(organization=organization),
            "members": Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("role", "user__last_name"),
        },
    )
