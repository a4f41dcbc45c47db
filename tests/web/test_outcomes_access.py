"""Who sees the clinic's outcome report: clinicians and the clinic admin (aggregate only,
no patient names), never nurses or the front desk; each organisation only its own."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from lasting.outcomes.services import bump_version
from tests.factories import make_patient
from tests.personas import client_for
from tests.web.outcomes_support import make_episode

pytestmark = pytest.mark.django_db

URL = "/outcomes/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def two_clinics(personas):
    """Clinic A: 3 episodes of Paul's; Clinic B: 5 episodes of its own patient."""
    for days in (10, 20, 30):
        make_episode(personas.paul, days, True)
    olgas = make_patient(personas.other_clinic, given_name="Zed", family_name="Other")
    for days in (100, 110, 120, 130, 140):
        make_episode(olgas, days, False)
    bump_version(personas.clinic.pk, personas.paul.created_at)
    bump_version(personas.other_clinic.pk, personas.paul.created_at)
    return personas


@pytest.mark.parametrize("username", ["dr_ana", "dr_ben", "admin_dora"])
def test_clinicians_and_the_admin_read_the_report(two_clinics, username):
    response = client_for(username).get(URL)
    assert response.status_code == 200
    assert "3 intervals of relief" in response.content.decode()


@pytest.mark.parametrize("username", ["rn_cara", "sam_front"])
def test_nurses_and_the_front_desk_are_refused(two_clinics, username):
    client = client_for(username)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"download": "durability"}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(two_clinics):
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_report_names_no_patient(two_clinics):
    text = client_for("admin_dora").get(URL).content.decode()
    assert "Moreno" not in text
    assert "Paul" not in text
    assert two_clinics.paul.record_number not in text


def test_each_organisation_sees_only_its_own_episodes(two_clinics):
    olga = client_for("dr_olga").get(URL).content.decode()
    assert "5 intervals of relief" in olga
    assert "0 ended in relapse" in olga
    ana = client_for("dr_ana").get(URL, {"download": "durability"}).content.decode()
    overall = ana.splitlines()[1].split(",")
    assert overall[:4] == ["All episodes", "all", "3", "3"]


def test_a_foreign_location_filter_finds_nothing_of_the_other_clinic(two_clinics):
    from tests.factories import make_location

    theirs = make_location(two_clinics.other_clinic, name="Elsewhere")
    response = client_for("dr_ana").get(URL, {"location": str(theirs.pk)})
    assert response.status_code == 200
    assert "100" not in response.context["tables"]["durability"].csv()
    assert response.context["report"].episodes == 3  # an invalid choice filters nothing
