"""What a clinician reads about the engine on the patient page, its charts and the plan form:
one horizon, one trend, the relapse level in words, each instrument on its own bands, one
time range, thresholds as percentages.

Persona: dr_ana (clinician) treats Paul, who responded to induction (20 -> 3) and is
climbing back week by week, with a GAD-7 beside each PHQ-9.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Role
from lasting.checkins.models import Source
from lasting.clinic.charts import Timeline, gad7_spec, risk_spec, timeline_spec
from lasting.intake.services import submit_checkin
from lasting.patients.models import Phase
from lasting.plans.models import MaintenancePlan
from lasting.risk.models import RiskAssessment
from lasting.risk.services import assess_one
from lasting.treatment.models import SessionKind
from lasting_core.instruments import InstrumentCode, get_instrument, score
from tests.factories import (
    SYSTEM,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    make_session,
)
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def make_gad7(patient: Any, total: int, submitted_at: Any) -> None:
    answers: dict[str, int | None] = {}
    remaining = total
    for index in range(1, 8):
        answers[f"q{index}"] = min(3, remaining)
        remaining -= answers[f"q{index}"] or 0
    submit_checkin(
        SYSTEM,
        patient,
        [score(InstrumentCode.GAD7, answers)],
        source=Source.CLINIC,
        submitted_at=submitted_at,
    )


@pytest.fixture
def paul():
    clinic = make_organization()
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana")
    paul = make_patient(clinic, family_name="Moreno", assigned_clinician=dr_ana.user)
    now = timezone.now()
    make_phq9(paul, 20, submitted_at=now - timedelta(days=90))
    for day in (88, 86, 84, 81, 79, 77):
        make_session(paul, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=day))
    for day, total in ((70, 8), (63, 4), (56, 3), (49, 3), (42, 4), (35, 5), (28, 7), (21, 9)):
        make_phq9(paul, total, submitted_at=now - timedelta(days=day))
        make_gad7(paul, total // 2 + 3, submitted_at=now - timedelta(days=day, hours=-1))
    paul.courses.update(phase=Phase.MAINTENANCE)
    assess_one(paul)
    return paul


def risk_section(html: str) -> str:
    match = re.search(r'<section class="card risk" id="risk">(.*?)</section>', html, re.S)
    assert match, "no risk section"
    return match.group(1)


def latest(paul: Any) -> RiskAssessment:
    assessment = paul.assessments.order_by("assessed_on").last()
    assert assessment is not None
    return assessment


def page(paul: Any) -> str:
    response = client_for("dr_ana").get(reverse("clinic:patient", args=[paul.pk]))
    assert response.status_code == 200
    return response.content.decode()


class TestRiskSection:
    def test_the_28_day_risk_is_the_headline_and_14_days_only_in_the_detail(self, paul):
        assessment = latest(paul)
        assert assessment.p_relapse_28d is not None
        section = risk_section(page(paul))
        p28 = round(100 * assessment.p_relapse_28d)
        assert f'id="risk-28d">{p28} %' in section
        outside, _, detail = section.partition('<details class="risk-more"')
        assert "within 28 days" in outside
        assert "14 days" not in outside
        assert "within 14 days" in detail

    def test_a_collapsed_interval_names_one_day(self, paul):
        assessment = latest(paul)
        day = assessment.assessed_on + timedelta(days=5)
        RiskAssessment.objects.filter(pk=assessment.pk).update(
            level=8.0,
            relapse_bar=11.5,
            crossing_on=day,
            crossing_earliest_on=day,
            crossing_latest_on=day,
        )
        section = risk_section(page(paul))
        assert f"(80 % on {day:%b} {day.day})" in section
        assert "between" not in section

    def test_a_level_over_the_relapse_level_reads_already_above(self, paul):
        assessment = latest(paul)
        RiskAssessment.objects.filter(pk=assessment.pk).update(
            level=12.4,
            relapse_bar=12.0,
            crossing_on=assessment.assessed_on,
            crossing_earliest_on=assessment.assessed_on,
            crossing_latest_on=assessment.assessed_on,
        )
        crossing = re.search(r'<div id="risk-crossing">(.*?)</div>', page(paul), re.S)
        assert crossing
        assert "already above" in crossing.group(1)
        assert "the relapse level, PHQ-9 12" in crossing.group(1)
        assert "80 %" not in crossing.group(1)

    @pytest.mark.parametrize(
        ("slope", "words"),
        [
            (1.62, 'rising</span><span class="muted">about 1.6 PHQ-9 points a week'),
            (-0.8, 'falling</span><span class="muted">about 0.8 PHQ-9 points a week'),
            (1.0, 'rising</span><span class="muted">about 1 PHQ-9 point a week'),
            (0.01, 'steady</span><span class="muted">less than a tenth of a PHQ-9 point a week'),
        ],
    )
    def test_the_trend_is_one_estimate_in_words(self, paul, slope, words):
        RiskAssessment.objects.filter(pk=latest(paul).pk).update(slope_per_week=slope)
        trend = re.search(r'<div id="risk-trend">(.*?)</div>', page(paul), re.S)
        assert trend
        assert words in trend.group(1)
        assert "the engine's trend estimate from all check-ins" in trend.group(1)

    def test_the_explanation_has_no_second_slope_and_explains_the_relapse_level(self, paul):
        section = risk_section(page(paul))
        assert "slope" not in section
        assert "/week" not in section
        # Baseline 20, best 3: the relapse level is 3 + (20 - 3) / 2 = 11.5.
        assert latest(paul).relapse_bar == 11.5
        assert (
            "the relapse level for this patient, PHQ-9 11.5, is half way back from their "
            "best score (3) to their baseline (20), and never below 10"
        ) in section


class TestCharts:
    def timeline(self, paul: Any) -> Timeline:
        return Timeline(
            zone=ZoneInfo(paul.time_zone),
            responses=list(paul.responses.order_by("observed_at")),
            sessions=list(paul.sessions.order_by("started_at")),
            assessments=list(paul.assessments.order_by("assessed_on")),
        )

    def test_gad7_is_drawn_on_its_own_bands(self, paul):
        spec = gad7_spec(self.timeline(paul))
        assert spec is not None
        bands = spec["layer"][0]
        rows = bands["data"]["values"]
        gad7 = get_instrument(InstrumentCode.GAD7)
        assert [row["code"] for row in rows] == [band.code for band in gad7.bands]
        assert "moderately_severe" not in {row["code"] for row in rows}
        assert bands["encoding"]["y"]["scale"]["domain"] == [0, 21]
        assert rows[-1] == {"band": "Severe", "code": "severe", "low": 14.5, "high": 21}

    def test_the_phq9_chart_draws_phq9_only_on_its_bands(self, paul):
        spec = timeline_spec(self.timeline(paul))
        assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 27]
        values = [v for layer in spec["layer"] for v in layer["data"]["values"] if "score" in v]
        phq9 = {r.total for r in paul.responses.filter(instrument="phq9")}
        gad7_only = {r.total for r in paul.responses.filter(instrument="gad7")} - phq9
        assert gad7_only, "the fixture needs a GAD-7 total no PHQ-9 has"
        assert not gad7_only & {v["score"] for v in values}

    def test_every_chart_shares_one_time_range_with_month_names(self, paul):
        timeline = self.timeline(paul)
        specs = [timeline_spec(timeline), gad7_spec(timeline), risk_spec(timeline)]
        domains, formats = [], []
        for spec in specs:
            assert spec is not None
            for x in find_x(spec):
                domains.append(x["scale"]["domain"])
                formats.append(x["axis"]["tickCount"])
        assert len(domains) >= 3
        assert all(domain == domains[0] for domain in domains)
        # Paul's first PHQ-9, a day before: the range starts there whatever the risk rows.
        first = timezone.localdate(timezone.now() - timedelta(days=91), ZoneInfo(paul.time_zone))
        start = domains[0][0]
        assert (start["year"], start["month"], start["date"]) == (
            first.year,
            first.month,
            first.day,
        )
        # Three months of care: one tick a month, labelled with the month's name.
        assert set(formats) == {"month"}


def find_x(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every x encoding of a spec that carries a scale domain."""
    found = []
    for layer in spec.get("layer", [spec]):
        x = layer.get("encoding", {}).get("x")
        if x and "domain" in x.get("scale", {}):
            found.append(x)
    return found


class TestPlanForm:
    def test_the_threshold_is_shown_as_a_percentage(self, paul):
        MaintenancePlan.objects.create(
            organization=paul.organization, patient=paul, probability_threshold=0.45
        )
        html = client_for("dr_ana").get(reverse("plans:edit_plan", args=[paul.pk])).content
        field = re.search(rb'<input[^>]*name="probability_threshold"[^>]*>', html)
        assert field
        assert b'value="45"' in field.group(0)
        assert b"(%)" in html

    def test_the_form_accepts_45_and_stores_0_45(self, paul):
        response = client_for("dr_ana").post(
            reverse("plans:edit_plan", args=[paul.pk]), plan_post(probability_threshold="45")
        )
        assert response.status_code == 302
        assert MaintenancePlan.objects.get(patient=paul).probability_threshold == 0.45

    @pytest.mark.parametrize("entered", ["0.45", "96", "abc"])
    def test_a_threshold_outside_5_to_95_percent_changes_nothing(self, paul, entered):
        response = client_for("dr_ana").post(
            reverse("plans:edit_plan", args=[paul.pk]), plan_post(probability_threshold=entered)
        )
        assert response.status_code == 422
        assert "percentage" in response.content.decode()
        assert not MaintenancePlan.objects.filter(patient=paul).exists()


def plan_post(**overrides: str) -> dict[str, str]:
    return {
        "policy": "forecast",
        "probability_threshold": "50",
        "min_spacing_days": "7",
        "symptom_threshold": "10",
        "fixed_interval_days": "35",
        "reason": "threshold agreed with the patient",
    } | overrides
