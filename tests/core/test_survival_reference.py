"""Kaplan-Meier, log-rank, Cox and Wilson intervals against published values.

The data sets ship inside lifelines; every value, its source and how it was measured are
in tests/reference/survival.md.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from lifelines.datasets import load_leukemia, load_lung, load_rossi

from lasting_core.analytics.rates import rate_of
from lasting_core.analytics.survival import CoxModel, fit_cox, fit_kaplan_meier, log_rank_p


def lung() -> pd.DataFrame:
    """R survival's `lung`; lifelines recodes status to 1 = died, 0 = censored."""
    return load_lung()


def leukemia_groups() -> dict[str, tuple[list[float], list[bool]]]:
    """Freireich's 6-MP remission data: Rx 0 = 6-MP (treatment), 1 = placebo."""
    data = load_leukemia()
    groups = {}
    for name, rx in (("6-MP", 0), ("placebo", 1)):
        rows = data[data["Rx"] == rx]
        groups[name] = (rows["t"].astype(float).tolist(), (rows["status"] == 1).tolist())
    return groups


class TestKaplanMeierOnLung:
    def test_the_median_and_its_interval_are_those_of_r_survfit(self) -> None:
        data = lung()
        curve = fit_kaplan_meier(data["time"].tolist(), (data["status"] == 1).tolist())
        assert (curve.n, curve.events) == (228, 165)
        assert curve.median_days == 310
        assert (curve.median_lower, curve.median_upper) == (284, 361)


class TestLeukemia:
    def test_the_medians_are_23_weeks_on_6mp_and_8_on_placebo(self) -> None:
        groups = leukemia_groups()
        treated = fit_kaplan_meier(*groups["6-MP"], group="6-MP")
        placebo = fit_kaplan_meier(*groups["placebo"], group="placebo")
        assert (treated.n, treated.events, treated.median_days) == (21, 9, 23)
        assert (placebo.n, placebo.events, placebo.median_days) == (21, 21, 8)

    def test_the_log_rank_test_gives_the_published_p(self) -> None:
        # chi-square 16.79 on 1 degree of freedom.
        p = log_rank_p(leukemia_groups())
        assert p == pytest.approx(4.17e-5, rel=0.01)
        assert p == pytest.approx(math.erfc(math.sqrt(16.79 / 2)), rel=0.01)


ROSSI_FACTORS = ("fin", "age", "race", "wexp", "mar", "paro", "prio")
# Fox and Weisberg, Cox model of the Rossi data (R coxph, Efron ties), as in lifelines' docs.
ROSSI_COEFFICIENTS = {
    "fin": -0.379,
    "age": -0.057,
    "race": 0.314,
    "wexp": -0.150,
    "mar": -0.434,
    "paro": -0.085,
    "prio": 0.091,
}


@pytest.fixture(scope="module")
def rossi_model() -> CoxModel:
    data = load_rossi()
    return fit_cox(
        {name: data[name].tolist() for name in ROSSI_FACTORS},
        data["week"].tolist(),
        (data["arrest"] == 1).tolist(),
    )


class TestCoxOnRossi:
    def test_the_coefficients_are_the_published_ones(self, rossi_model: CoxModel) -> None:
        assert rossi_model.too_few is None
        assert (rossi_model.n, rossi_model.events) == (432, 114)
        coefficients = {term.factor: math.log(term.hazard_ratio) for term in rossi_model.terms}
        assert coefficients == pytest.approx(ROSSI_COEFFICIENTS, abs=0.005)
        assert rossi_model.concordance == pytest.approx(0.64, abs=0.005)

    def test_the_proportional_hazards_check_flags_age_and_wexp(self, rossi_model: CoxModel) -> None:
        flagged = {term.factor for term in rossi_model.terms if not term.holds_proportional_hazards}
        assert flagged == {"age", "wexp"}


class TestWilsonIntervals:
    # Newcombe 1998, Table I, method 3 (score interval without continuity correction).
    @pytest.mark.parametrize(
        ("count", "total", "lower", "upper"),
        [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ],
    )
    def test_the_interval_is_newcombes(
        self, count: int, total: int, lower: float, upper: float
    ) -> None:
        rate = rate_of(count, total)
        assert rate.share == count / total
        assert rate.lower == pytest.approx(lower, abs=5e-5)
        assert rate.upper == pytest.approx(upper, abs=5e-5)
