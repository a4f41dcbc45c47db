from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.forms import (
    AcceptInvitationForm,
    AlertPolicyForm,
    CrisisResourceForm,
    InviteForm,
    LocationForm,
    MembershipForm,
    add_service_errors,
)
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import (
    CrisisLanguage,
    CrisisResource,
    Location,
    Membership,
    Role,
    User,
)
from lasting.accounts.queries import (
    get_invitation_for,
    get_location_for,
    get_member_for,
    list_crisis_lines,
    list_open_invitations,
)
from lasting.accounts.services import (
    InvitationError,
    InvitationProblem,
    accept_invitation,
    change_membership,
    get_open_invitation,
    invite_member,
    revoke_invitation,
    save_location,
    send_invitation,
    set_crisis_resource,
    update_alert_policy,
)
from lasting.accounts.tenancy import public_page
from lasting.accounts.throttle import find_lockout
from lasting.audit.models import Action, AuditEvent, Outcome
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
            .order_by("-is_active", "role", "user__last_name"),
            "invitations": list_open_invitations(organization, timezone.now()),
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


def admin_membership(request: ClinicRequest) -> Membership:
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins manage the organisation.")
    return membership


@login_required
def edit_location(request: ClinicRequest, location_id: int | None = None) -> HttpResponse:
    """Add a location, or change one: name, address, time zone, chairs, open or closed."""
    membership = admin_membership(request)
    organization = membership.organization
    location = (
        get_location_for(membership, location_id)
        if location_id is not None
        else Location(organization=organization, time_zone=organization.time_zone)
    )
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_location(Actor.from_request(request), form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location {saved.name} saved.")
            return redirect("accounts:organization")
    return render(
        request,
        "accounts/location_form.html",
        {"form": form, "location": location, "organization": organization},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def invite(request: ClinicRequest) -> HttpResponse:
    """Invite someone by e-mail to join the clinic in a role (a link valid for 7 days)."""
    membership = admin_membership(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invite_member(
                Actor.from_request(request),
                membership,
                email=form.cleaned_data["email"],
                role=Role(form.cleaned_data["role"]),
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if send_invitation(invitation, token):
                messages.success(request, f"Invitation sent to {invitation.email}.")
            else:
                messages.error(
                    request,
                    f"The invitation to {invitation.email} could not be e-mailed. Check the "
                    "mail settings, then revoke it and invite again.",
                )
            return redirect("accounts:organization")
    return render(
        request,
        "accounts/invite_form.html",
        {"form": form, "organization": membership.organization},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def revoke(request: ClinicRequest, invitation_id: int) -> HttpResponse:
    membership = admin_membership(request)
    invitation = get_invitation_for(membership, invitation_id)
    revoke_invitation(Actor.from_request(request), membership, invitation)
    messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("accounts:organization")


@login_required
def edit_member(request: ClinicRequest, membership_id: int) -> HttpResponse:
    """Change someone's role or title, or deactivate them (signed out at once)."""
    membership = admin_membership(request)
    target = get_member_for(membership, membership_id)
    form = MembershipForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            change_membership(
                Actor.from_request(request),
                membership,
                target,
                role=Role(form.cleaned_data["role"]),
                title=form.cleaned_data["title"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{target.user.display_name}: saved.")
            return redirect("accounts:organization")
    if request.method == "POST":
        target.refresh_from_db()
    return render(
        request,
        "accounts/member_form.html",
        {"form": form, "member": target, "organization": membership.organization},
        status=422 if request.method == "POST" else 200,
    )


INVITATION_PROBLEMS = {
    InvitationProblem.INVALID: "This invitation link is not valid. Check that the whole "
    "link was copied, or ask your clinic's admin for a new invitation.",
    InvitationProblem.EXPIRED: "This invitation has expired. Ask your clinic's admin to "
    "invite you again.",
    InvitationProblem.USED: "This invitation has been used already. Sign in with the "
    "username and password you chose.",
    InvitationProblem.REVOKED: "This invitation was withdrawn. Ask your clinic's admin.",
}


@public_page
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page: choose a name, username and password; then sign in."""
    try:
        invitation = get_open_invitation(token, timezone.now())
    except InvitationError as error:
        return render(
            request,
            "accounts/invitation_problem.html",
            {"message": INVITATION_PROBLEMS[error.problem]},
            status=410 if error.problem != InvitationProblem.INVALID else 404,
        )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            accept_invitation(
                token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                address=request.META.get("REMOTE_ADDR"),
            )
        except InvitationError as error:
            return render(
                request,
                "accounts/invitation_problem.html",
                {"message": INVITATION_PROBLEMS[error.problem]},
                status=410,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your account is ready. Sign in with your new password.")
            return redirect("accounts:login")
    return render(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invitation": invitation},
        status=422 if request.method == "POST" else 200,
    )


def record_password_change(request: HttpRequest, user: User) -> None:
    """Audit a password change as the member's own act (a reset link proves the address),
    without the organisation: the password is the person's, across organisations."""
    seen = Actor.from_request(request)
    actor = Actor(user.pk, user.get_username(), None, seen.address, seen.request_id)
    record_event(actor, Action.PRIVILEGE_CHANGE, object_ref=("password", user.pk))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; the member's other sessions end (Django checks each
    session against the password's hash), this one stays."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from lasting.accounts.mfa import app_device, unused_recovery_codes

        user = self.request.user
        return super().get_context_data(
            app_device=app_device(user),  # type: ignore[arg-type]
            recovery_codes_left=unused_recovery_codes(user),  # type: ignore[arg-type]
            **kwargs,
        )

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        record_password_change(self.request, form.user)
        messages.success(self.request, "Your password is changed. Other devices are signed out.")
        return response


def site_link_parts() -> dict[str, Any]:
    """The reset e-mail's link points at the clinic's public address, not the Host header
    a request happened to carry."""
    site = urlsplit(settings.SITE_URL)
    return {"domain_override": site.netloc, "use_https": site.scheme == "https"}


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. The answer is the same whether or not the address
    belongs to a member, and the e-mail holds only the link (single use: it stops working
    once the password changes, and after PASSWORD_RESET_TIMEOUT)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def form_valid(self, form: Any) -> HttpResponse:
        actor = Actor.from_request(self.request)
        if reset_requests_from(actor.address) >= RESET_REQUESTS_PER_HOUR:
            # Past the limit nothing is sent, and the page says what it always says: an
            # address cannot be flooded with reset e-mails, nor probed by the answer.
            return redirect(self.get_success_url())
        record_event(actor, Action.CREATE, object_ref=(RESET_REQUEST, ""))
        for key, value in site_link_parts().items():
            setattr(self, key, value)
        return super().form_valid(form)


# Reset e-mails asked for from one address in an hour before further requests send nothing.
RESET_REQUESTS_PER_HOUR = 5
RESET_REQUEST = "password reset request"


def reset_requests_from(address: str | None) -> int:
    """How many reset e-mails this address asked for in the last hour (the audit trail)."""
    return AuditEvent.objects.filter(
        object_type=RESET_REQUEST, address=address, at__gt=timezone.now() - timedelta(hours=1)
    ).count()


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        record_password_change(self.request, form.user)
        messages.success(self.request, "Your password is set. Sign in with it.")
        return response
