"""Where the app sends a browser next: the `next` field stays on the site, each role lands
on its own page, and a request after the session ended goes to sign-in (tests/personas.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, app_code
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "alerts:nope"])
def test_next_never_leaves_the_site_or_breaks_the_page(safety_alert, target):
    response = client_for("dr_ana").post(
        reverse("alerts:acknowledge", args=[safety_alert.pk]), {"next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:list")


def test_next_within_the_site_is_followed(personas, safety_alert):
    back_to = reverse("clinic:patient", args=[personas.paul.pk])
    response = client_for("dr_ana").post(
        reverse("alerts:acknowledge", args=[safety_alert.pk]), {"next": back_to}
    )
    assert response["Location"] == back_to


def test_admins_land_on_their_organisation_page(personas):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "admin_dora", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{reverse('accounts:second_step')}?next=%2F"
    response = client.post(
        response.redirect_chain[-1][0],
        {"code": app_code(personas.admin_dora.user), "next": "/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:organization")
    assert b"People and roles" in response.content
    assert b"Moreno" not in response.content


def test_an_htmx_request_after_logout_redirects_the_whole_page(safety_alert):
    response = Client().post(
        reverse("alerts:acknowledge", args=[safety_alert.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
