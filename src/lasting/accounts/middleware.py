"""Session limits and the organisation a signed-in person is acting for."""

from __future__ import annotations

import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from lasting.accounts.models import Membership
from lasting.accounts.tenancy import enter_organization


class ClinicRequest(HttpRequest):
    """A request as Lasting's views see it, after the middleware has run."""

    membership: Membership | None
    request_id: str
    htmx: HtmxDetails


SESSION_LAST_SEEN = "lasting_last_seen"
SESSION_LOGGED_IN_AT = "lasting_logged_in_at"
LAST_SEEN_RESOLUTION_SECONDS = 60
SESSION_ORGANIZATION = "lasting_organization_id"


class SessionLimitsMiddleware:
    """Log out after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after
    signing in however active the session (the cookie is re-issued on every request, so
    its own age cannot be the absolute limit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(SESSION_LAST_SEEN)
            logged_in_at = request.session.get(SESSION_LOGGED_IN_AT)
            idle = last_seen is not None and now - float(last_seen) > settings.SESSION_IDLE_SECONDS
            too_old = (
                logged_in_at is None or now - float(logged_in_at) > settings.SESSION_COOKIE_AGE
            )
            if idle or too_old:
                logout(request)
            elif last_seen is None or now - float(last_seen) >= LAST_SEEN_RESOLUTION_SECONDS:
                # Saving the session is a database write; a minute's resolution on a
                # 15-minute idle limit spares it on most requests.
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """Turn a redirect to the login page into HX-Redirect for HTMX requests, so an expired
    session sends the whole page to the login form instead of swapping it into a row."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        location = response.get("Location", "")
        to_login = response.status_code == 302 and location.startswith(
            resolve_url(settings.LOGIN_URL)
        )
        if to_login and request.headers.get("HX-Request"):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = location
            return redirect
        return response


class MembershipMiddleware:
    """Attach `request.membership`: the signed-in user's active role in one organisation."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = find_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        # Dates and times on clinic pages read and display in the clinic's own time zone.
        if membership is not None:
            timezone.activate(ZoneInfo(membership.organization.time_zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            if getattr(request, "walled_in", False):
                enter_organization(None)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object
    ) -> None:
        """The second wall (accounts/tenancy.py): for the rest of a member's request the
        database itself hides other organisations' rows; the connection forgets it after."""
        membership = getattr(request, "membership", None)
        if membership is not None and not getattr(view, "reads_any_organization", False):
            enter_organization(membership.organization_id)
            request.walled_in = True  # type: ignore[attr-defined]


def find_membership(request: HttpRequest) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization", "user").filter(
        user=request.user, is_active=True
    )
    chosen = request.session.get(SESSION_ORGANIZATION)
    if chosen is not None:
        membership = memberships.filter(organization_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.order_by("organization_id").first()
