"""The clinic's outcome analytics page: figures, filters, CSV downloads and their audit,
the cache and its invalidation, and the number of queries (docs/outcomes.md)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lasting.audit.models import Action, AuditEvent
from lasting.outcomes.models import CourseOutcome, OutcomeEpisode
from lasting.outcomes.services import bump_version, refresh_outcomes
from lasting_core.analytics.survival import fit_kaplan_meier
from tests.factories import make_location, make_patient
from tests.personas import client_for
from tests.web.outcomes_support import day_zero, make_episode, relapsing_history

pytestmark = pytest.mark.django_db

URL = "/outcomes/"
DURATIONS = (5, 12, 12, 20, 33, 41, 41, 60, 75, 90, 120, 150, 200)
EVENTS = (1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def episodes(personas):
    for days, event in zip(DURATIONS, EVENTS, strict=True):
        make_episode(personas.paul, days, bool(event))
    bump_version(personas.clinic.pk, personas.paul.created_at)
    return personas


def download(client, table: str, **params: str) -> list[list[str]]:
    response = client.get(URL, {**params, "download": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_overall_figures_match_kaplan_meier_on_the_stored_episodes(episodes):
    expected = fit_kaplan_meier(DURATIONS, [bool(e) for e in EVENTS])
    rows = download(client_for("dr_ana"), "durability")
    header, overall = rows[0], rows[1]
    cell = dict(zip(header, overall, strict=True))
    assert cell["factor"] == "All episodes"
    assert int(cell["n"]) == 13
    assert int(cell["relapses"]) == 8
    assert float(cell["median days"]) == expected.median_days
    for days in (28, 56, 84, 182):
        assert float(cell[f"S({days})"]) == pytest.approx(expected.at(days).survival, abs=5e-4)
        assert float(cell[f"S({days}) low"]) == pytest.approx(expected.at(days).lower, abs=5e-4)


def test_the_page_shows_the_median_and_the_curve_with_the_published_figures(episodes):
    response = client_for("dr_ana").get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    expected = fit_kaplan_meier(DURATIONS, [bool(e) for e in EVENTS])
    assert f"Half had relapsed by day {expected.median_days:.0f}" in text
    assert "in this clinic&#x27;s records" in text or "in this clinic's records" in text
    spec = json.loads(re.search(r'<script id="durability-spec"[^>]*>(.*?)</script>', text, re.S)[1])
    rows = [row for values in spec["datasets"].values() for row in values]
    assert {"source": "McInnes 2022", "days": 28, "S": 0.8} in rows
    assert {
        "days": 20.0,
        "S": pytest.approx(expected.at(28).survival),
        "low": pytest.approx(expected.at(28).lower),
        "high": pytest.approx(expected.at(28).upper),
    } in rows
    for source in ("Murrough 2013", "KetECT 2022", "Feder 2021"):
        assert source in text


def test_the_funnel_counts_courses_at_each_step(personas):
    flags = [  # started, six, assessed, responded, remitted
        (False, False, False, False, False),
        (True, False, False, False, False),
        (True, True, True, False, False),
        (True, True, True, True, False),
        (True, True, True, True, True),
    ]
    for started, six, assessed, responded, remitted in flags:
        patient = make_patient(personas.clinic)
        CourseOutcome.objects.create(
            organization=personas.clinic,
            patient=patient,
            course=patient.courses.get(),
            started_on=date(2026, 2, 1),
            diagnosis="trd_mdd",
            started_induction=started,
            induction_sessions=6 if six else 1,
            completed_six=six,
            assessed=assessed,
            responded=responded,
            remitted=remitted,
        )
    rows = download(client_for("dr_ana"), "funnel")
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("Evaluated (courses)", "5"),
        ("Started induction", "4"),
        ("Completed 6 induction sessions", "3"),
        ("Responded at the end of induction", "2"),
        ("Remitted at the end of induction", "1"),
    ]
    rates = {r[0]: r for r in download(client_for("dr_ana"), "rates")[1:]}
    response = rates["Response, of courses that started induction"]
    assert response[1:4] == ["2", "4", "0.5"]
    assert 0 < float(response[4]) < 0.5 < float(response[5]) < 1


def test_filters_narrow_the_episodes(personas):
    boulder = make_location(personas.clinic, name="Boulder")
    ptsd = make_patient(personas.clinic, diagnoses=["ptsd"], location=boulder)
    make_episode(personas.paul, 30, True, start_on=date(2026, 1, 10))
    make_episode(personas.paul, 40, False, start_on=date(2026, 6, 10))
    make_episode(ptsd, 50, True, start_on=date(2026, 6, 12))
    client = client_for("dr_ana")

    def n(**params: str) -> int:
        return int(download(client, "durability", **params)[1][2])

    assert n() == 3
    assert n(diagnosis="ptsd") == 1
    assert n(location=str(boulder.pk)) == 1
    assert n(clinician=str(personas.dr_ana.user_id)) == 2
    assert n(start_from="2026-06-01") == 2
    assert n(start_from="2026-06-01", start_to="2026-06-11") == 1


def test_every_table_downloads_and_each_download_is_audited(episodes):
    client = client_for("admin_dora")
    for table in ("funnel", "rates", "durability", "cox", "curve", "anchors"):
        rows = download(client, table)
        assert rows[0], table
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.object_type, event.object_id) == (
            Action.EXPORT,
            "OutcomeTable",
            table,
        )
        assert event.username == "admin_dora"
        assert event.organization_id == episodes.clinic.pk
    assert client.get(URL, {"download": "patients"}).status_code == 404


def test_reading_the_page_is_audited_without_a_patient(episodes):
    client_for("dr_ben").get(URL)
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.patient_id) == (
        Action.READ,
        "OutcomeReport",
        None,
    )


def test_the_cache_is_invalidated_by_a_refresh(personas):
    relapsing_history(personas.paul, day_zero(personas.paul))
    client = client_for("dr_ana")
    assert "No intervals of relief" in client.get(URL).content.decode()
    OutcomeEpisode.objects.all().delete()  # rows change only through a refresh...
    refresh_outcomes(personas.clinic.pk)  # ...which bumps the version
    text = client.get(URL).content.decode()
    assert "1 intervals of relief" in text


def test_a_cached_report_is_served_until_the_version_changes(episodes):
    client = client_for("dr_ana")
    client.get(URL)
    OutcomeEpisode.objects.all().delete()  # behind the refresh's back
    assert "13 intervals of relief" in client.get(URL).content.decode()
    bump_version(episodes.clinic.pk, episodes.paul.created_at)
    assert "No intervals of relief" in client.get(URL).content.decode()


def test_the_number_of_queries_does_not_grow_with_patients(personas):
    client = client_for("dr_ana")

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    make_episode(personas.paul, 10, True)
    few = queries()
    for index in range(30):
        patient = make_patient(personas.clinic, diagnoses=["ptsd" if index % 2 else "gad"])
        make_episode(patient, 10 + index, index % 3 == 0)
    assert queries() == few


def test_too_few_relapses_for_the_cox_model_say_so(episodes):
    OutcomeEpisode.objects.filter(days__lt=40).update(in_therapy=True)  # one factor varies
    bump_version(episodes.clinic.pk, episodes.paul.created_at)
    text = client_for("dr_ana").get(URL).content.decode()
    assert "Too few relapses for a model of 1 factor: 8 relapses" in text
