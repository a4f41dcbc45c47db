"""Kaplan-Meier curves, the log-rank test and the Cox model as Lasting reports them."""

from __future__ import annotations

import numpy as np
import pytest

from lasting_core.analytics.survival import (
    HORIZON_DAYS,
    fit_cox,
    fit_kaplan_meier,
    log_rank_p,
)


class TestKaplanMeier:
    def test_the_curve_steps_down_at_each_relapse_only(self) -> None:
        # 4 at risk; relapse at 10 (3/4), censored at 20, relapse at 30 (3/4 * 1/2).
        curve = fit_kaplan_meier([10, 20, 30, 40], [True, False, True, False])
        assert [step.days for step in curve.steps] == [0.0, 10.0, 20.0, 30.0, 40.0]
        assert [step.survival for step in curve.steps] == pytest.approx(
            [1.0, 0.75, 0.75, 0.375, 0.375]
        )
        assert [step.at_risk for step in curve.steps] == [4, 4, 3, 2, 1]
        assert (curve.n, curve.events) == (4, 2)

    def test_survival_at_a_horizon_is_the_curve_on_that_day_with_its_band(self) -> None:
        curve = fit_kaplan_meier([10, 20, 30, 60], [True, False, True, False])
        at_28 = curve.at(28)
        assert at_28.survival == pytest.approx(0.75)
        assert at_28.lower is not None
        assert at_28.upper is not None
        assert at_28.lower < 0.75 < at_28.upper
        assert curve.at(56).survival == pytest.approx(0.375)

    def test_survival_beyond_the_longest_follow_up_is_none(self) -> None:
        curve = fit_kaplan_meier([10, 20, 30, 60], [True, False, True, False])
        for days in (84, 182):
            point = curve.at(days)
            assert (point.survival, point.lower, point.upper) == (None, None, None)
        assert [point.days for point in curve.survival] == list(HORIZON_DAYS)

    def test_survival_on_the_last_day_of_follow_up_is_reported(self) -> None:
        curve = fit_kaplan_meier([10, 28], [True, False])
        assert curve.at(28).survival == pytest.approx(0.5)

    def test_at_refuses_a_horizon_that_is_not_reported(self) -> None:
        curve = fit_kaplan_meier([10, 20], [True, False])
        with pytest.raises(KeyError):
            curve.at(30)

    def test_the_median_is_none_when_half_never_relapse(self) -> None:
        curve = fit_kaplan_meier([10, 20, 30, 40], [True, False, False, False])
        assert curve.median_days is None
        assert curve.median_upper is None

    def test_the_median_is_the_first_day_the_curve_reaches_one_half(self) -> None:
        curve = fit_kaplan_meier([5, 10, 15, 20], [True, True, True, True])
        assert curve.median_days == 10

    def test_an_empty_group_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least one episode"):
            fit_kaplan_meier([], [])

    def test_durations_and_events_must_pair_up(self) -> None:
        with pytest.raises(ValueError, match="differ in length"):
            fit_kaplan_meier([1, 2], [True])


class TestLogRank:
    def test_one_group_has_no_p_value(self) -> None:
        assert log_rank_p({"all": ([10, 20, 30], [True, True, False])}) is None

    def test_an_empty_second_group_does_not_count(self) -> None:
        assert log_rank_p({"a": ([10, 20], [True, True]), "b": ([], [])}) is None

    def test_groups_without_any_relapse_have_no_p_value(self) -> None:
        assert log_rank_p({"a": ([10, 20], [False, False]), "b": ([5], [False])}) is None

    def test_identical_groups_give_p_one(self) -> None:
        same = ([10.0, 20.0, 30.0, 40.0], [True, True, False, True])
        assert log_rank_p({"a": same, "b": same}) == pytest.approx(1.0)

    def test_three_groups_are_compared_at_once(self) -> None:
        rng = np.random.default_rng(5)
        groups = {
            name: (list(rng.exponential(scale, 40)), [True] * 40)
            for name, scale in (("short", 10.0), ("middle", 30.0), ("long", 90.0))
        }
        p = log_rank_p(groups)
        assert p is not None
        assert p < 0.001


class TestCox:
    def test_too_few_relapses_give_a_plain_sentence_and_no_model(self) -> None:
        model = fit_cox(
            {"x": [0.0, 1.0] * 10}, [float(d) for d in range(1, 21)], [True] * 5 + [False] * 15
        )
        assert model.terms == ()
        assert model.too_few == (
            "Too few relapses for a model of 1 factor: 5 relapses, at least 10 are needed "
            "(10 per factor)."
        )

    def test_factors_that_do_not_vary_are_left_out_and_named(self) -> None:
        model = fit_cox(
            {"x": [0.0, 1.0] * 10, "y": [1.0] * 20},
            [float(d) for d in range(1, 21)],
            [True] * 5 + [False] * 15,
        )
        assert model.left_out == ("y",)
        assert model.too_few is not None
        assert "1 factor:" in model.too_few

    def test_no_varying_factor_is_said_plainly(self) -> None:
        model = fit_cox({"x": [1.0] * 20}, [float(d) for d in range(1, 21)], [True] * 20)
        assert model.too_few == "No factor varies in these episodes."

    def test_a_factor_that_doubles_the_hazard_has_a_hazard_ratio_near_two(self) -> None:
        rng = np.random.default_rng(3)
        exposed = rng.integers(0, 2, 2000).astype(float)
        durations = rng.exponential(1.0 / np.where(exposed == 1, 2.0, 1.0))
        model = fit_cox({"exposed": exposed.tolist()}, durations.tolist(), [True] * 2000)
        (term,) = model.terms
        assert term.factor == "exposed"
        assert term.lower < 2.0 < term.upper
        assert term.hazard_ratio == pytest.approx(2.0, rel=0.1)
        assert term.holds_proportional_hazards
