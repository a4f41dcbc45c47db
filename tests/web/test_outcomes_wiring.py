"""The analytics page's replay of early warnings and its boosters and cost, and the
report the worker computes ahead of the first reader (docs/outcomes.md)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from lasting.outcomes.tasks import refresh_outcomes_task
from lasting.risk.performance import refresh_alert_performance
from lasting.treatment.models import SessionKind
from tests.factories import make_session
from tests.personas import client_for
from tests.web.test_alert_performance import relapsing_patient

pytestmark = pytest.mark.django_db
URL = "/outcomes/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def rows_of(response) -> dict[str, list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return {row[0]: row[1:] for row in rows[1:]}


def test_before_the_first_replay_the_page_says_it_is_not_computed_yet(personas):
    page = client_for("dr_ana").get(URL).content.decode()
    assert 'id="alerts-not-yet"' in page
    assert client_for("dr_ana").get(URL, {"download": "alerts"}).status_code == 404


def test_the_replay_of_the_last_12_months_is_shown_and_downloadable(personas):
    now = timezone.now()
    relapsing_patient(personas.clinic, now)
    performance = refresh_alert_performance(personas.clinic.pk, now)
    assert performance.relapses == 1

    client = client_for("dr_ana")
    page = client.get(URL).content.decode()
    assert "would</em> have raised" in page
    assert f"{performance.caught} of 1" in page
    rows = rows_of(client.get(URL, {"download": "alerts"}))
    assert rows["relapses"] == ["1"]
    assert rows["patients replayed"] == [str(performance.patients_replayed)]
    assert rows["proposals accepted"] == ["0"]


def test_another_organisations_replay_is_never_shown(personas):
    now = timezone.now()
    relapsing_patient(personas.clinic, now)
    refresh_alert_performance(personas.clinic.pk, now)
    page = client_for("dr_olga").get(URL).content.decode()
    assert 'id="alerts-not-yet"' in page


def test_boosters_per_patient_year_are_counted_for_the_filters(personas):
    now = timezone.now()
    patient = relapsing_patient(personas.clinic, now, ago_days=60)
    make_session(patient, kind=SessionKind.BOOSTER, started_at=now - timedelta(days=20))
    rows = rows_of(client_for("dr_ana").get(URL, {"download": "boosters"}))
    assert rows["boosters"][0] == "1"
    assert rows["patients followed after induction"] == ["1", ""]
    assert float(rows["patient-years of follow-up"][0]) > 0


def test_the_worker_computes_the_report_before_the_first_reader(personas):
    relapsing_patient(personas.clinic, timezone.now())
    refresh_outcomes_task.call(personas.clinic.pk)
    # The statistics are not computed again for the unfiltered page: it is in the cache
    # the worker filled.
    with mock.patch("lasting.outcomes.queries.compute_page", side_effect=AssertionError):
        response = client_for("admin_dora").get(URL)
    assert response.status_code == 200
    with (
        mock.patch("lasting.outcomes.queries.compute_page", side_effect=RuntimeError("cold")),
        pytest.raises(RuntimeError),
    ):
        client_for("admin_dora").get(URL, {"diagnosis": "ptsd"})
