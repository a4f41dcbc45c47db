from __future__ import annotations

import unicodedata

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lasting.accounts import rules
from lasting.accounts.forms import AlertPolicyForm, CrisisResourceForm
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import CrisisLanguage, CrisisResource, Location, Membership
from lasting.accounts.queries import list_crisis_lines
from lasting.accounts.services import set_crisis_resource, update_alert_policy
from lasting.accounts.throttle import find_lockout
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event


class LoginView(auth_views.LoginView):
    """Django's sign-in, refusing throttled attempts before the password is hashed."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # Normalise as the sign-in form does (strip, NFKC), or variants of one username
        # would each get their own count.
        username = unicodedata.normalize("NFKC", request.POST.get("username", "").strip())
        lockout = find_lockout(username, request.META.get("REMOTE_ADDR"))
        if lockout is None:
            return super().post(request, *args, **kwargs)
        record_event(
            Actor(
                None,
                username[:150],
                None,
                request.META.get("REMOTE_ADDR"),
                getattr(request, "request_id", ""),
            ),
            Action.LOGIN_FAILED,
            outcome=Outcome.DENIED,
        )
        # An unbound form: binding it would validate it, and validating authenticates.
        form = self.get_form_class()(request, initial={"username": username})
        message = (
            f"Too many failed sign-ins. Try again in {lockout.minutes} minute"
            f"{'s' if lockout.minutes != 1 else ''}, or ask your clinic's administrator."
        )
        response = self.render_to_response(
            self.get_context_data(form=form, throttle_message=message)
        )
        response.status_code = 429
        response["Retry-After"] = str(int(lockout.retry_after.total_seconds()) + 1)
        return response


@login_required
def organization(request: ClinicRequest) -> HttpResponse:
    """The clinic admin's page: locations, people and roles, alert policy, crisis line."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins manage the organisation.")
    organization = membership.organization
    form = AlertPolicyForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        update_alert_policy(Actor.from_request(request), membership, form.save(commit=False))
        messages.success(request, "Alert policy saved.")
        return redirect("accounts:organization")
    if request.method == "POST":
        # The form changed the instance in memory while validating; show what is stored.
        organization.refresh_from_db()
    return render(
        request,
        "accounts/organization.html",
        {
            "organization": organization,
            "form": form,
            "locations": Location.objects.filter(organization=organization),
            "members": Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("role", "user__last_name"),
            "crisis_lines": [
                (CrisisLanguage(language), line)
                for language, line in list_crisis_lines(organization).items()
            ],
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def crisis_resource(request: ClinicRequest, language: str) -> HttpResponse:
    """Edit the crisis resource patients reading one language see (admins only)."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins manage the organisation.")
    if language not in CrisisLanguage.values:
        raise Http404("No such language.")
    organization = membership.organization
    shown = list_crisis_lines(organization)[language]
    instance = CrisisResource.objects.filter(
        organization=organization, language=language
    ).first() or CrisisResource(organization=organization, language=language)
    initial = (
        {}
        if instance.pk
        else {
            "name": shown.name,
            "phone": shown.phone,
            "text_number": shown.text_number,
            "text_keyword": shown.text_keyword,
            "instructions": shown.instructions,
            "emergency_phone": shown.emergency_phone,
        }
    )
    form = CrisisResourceForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        set_crisis_resource(
            Actor.from_request(request),
            organization,
            CrisisLanguage(language),
            {name: form.cleaned_data[name] for name in CrisisResourceForm.Meta.fields},
        )
        return redirect("accounts:organization")
    return render(
        request,
        "accounts/crisis_resource_form.html",
        {
            "organization": organization,
            "form": form,
            "language": CrisisLanguage(language),
            "shown": shown,
        },
        status=422 if request.method == "POST" else 200,
    )
