"""What maintenance costs: cost to date, and the 12-month forecast per policy."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from lasting_core.cost_to_date import PricedSession, cost_to_date
from lasting_core.costs import (
    ALTERNATIVES,
    Durability,
    ForecastKind,
    ForecastPatient,
    ForecastPolicy,
    forecast_costs,
    forecast_preset,
    summarise,
    year_costs,
)
from lasting_core.engine import PatientHistory, PopulationPrior
from lasting_core.simulation.arena import parse_policy, run_arena

PRIOR = PopulationPrior.default()
FIXED_28 = ForecastPolicy(ForecastKind.FIXED, 28.0)
FIXED_14 = ForecastPolicy(ForecastKind.FIXED, 14.0)
FIXED_56 = ForecastPolicy(ForecastKind.FIXED, 56.0)
SYMPTOM = ForecastPolicy(ForecastKind.SYMPTOM)
AS_NEEDED = ForecastPolicy(ForecastKind.AS_NEEDED)


def paul(key: int = 1, **overrides: object) -> ForecastPatient:
    values: dict[str, object] = {
        "key": key,
        "durability": Durability.from_prior(PRIOR),
        "baseline_phq9": 17.0,
        "booster_price": Decimal("500"),
        "maintenance_price": Decimal("450"),
    }
    values.update(overrides)
    return ForecastPatient(**values)  # type: ignore[arg-type]


# --- cost to date -----------------------------------------------------------------------


def test_cost_to_date_sums_each_course_and_the_whole() -> None:
    result = cost_to_date(
        [
            PricedSession(1, "induction", Decimal("400")),
            PricedSession(1, "induction", Decimal("400")),
            PricedSession(2, "booster", Decimal("525.50")),
        ]
    )

    assert [(course, t.priced_amount) for course, t in result.by_course] == [
        (1, Decimal("800")),
        (2, Decimal("525.50")),
    ]
    assert result.total.priced_amount == Decimal("1325.50")
    assert result.total.complete


def test_a_session_without_a_price_is_counted_never_priced_at_zero() -> None:
    result = cost_to_date(
        [PricedSession(1, "induction", Decimal("400")), PricedSession(1, "booster", None)]
    )

    course = result.by_course[0][1]
    assert course.priced_amount == Decimal("400")
    assert (course.priced_sessions, course.unpriced_sessions, course.sessions) == (1, 1, 2)
    assert not course.complete
    assert not result.total.complete


def test_a_negative_price_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        cost_to_date([PricedSession(1, "booster", Decimal("-1"))])


# --- summaries and prices -----------------------------------------------------------------


def test_the_interval_is_the_10th_to_90th_percentile_of_the_simulated_years() -> None:
    boosters = np.arange(11)  # 0..10 boosters in eleven simulated years
    result = summarise(SYMPTOM, boosters, np.zeros(11, int), np.full(11, 3), paul())

    assert result.expected_sessions == 5.0
    assert (result.sessions_low, result.sessions_high) == (1.0, 9.0)
    assert (result.cost_low, result.cost_high) == (500.0, 4500.0)
    assert result.expected_cost == 2500.0
    assert result.expected_relapse_days == 3.0


def test_a_forecast_without_the_price_it_needs_has_no_cost() -> None:
    assert year_costs(np.array([1, 0]), np.array([0, 0]), None, Decimal("450")) is None
    # A kind the policy never gives needs no price.
    costs = year_costs(np.array([0, 0]), np.array([2, 3]), None, Decimal("450"))
    assert costs is not None
    assert costs.tolist() == [900.0, 1350.0]


def test_the_posterior_durability_shortens_with_losses_of_response() -> None:
    prior = Durability.from_prior(PRIOR)
    quick = Durability.from_prior(PRIOR, events=4, exposure=4 * 20.0**PRIOR.shape)

    assert prior.median_days() == pytest.approx(PRIOR.median_days())
    assert quick.median_days() < 0.5 * prior.median_days()


INDUCTION = tuple((float(day), "induction") for day in (2, 4, 6, 8, 10, 12))


def test_a_responder_is_read_from_their_history_as_the_engine_reads_it() -> None:
    remitted = PatientHistory(phq9=((0.0, 20.0), (20.0, 4.0), (30.0, 3.0)), sessions=INDUCTION)
    boosted = PatientHistory(
        phq9=((0.0, 20.0), (20.0, 6.0), (30.0, 5.0), (55.0, 7.0), (70.0, 6.0)),
        sessions=(*INDUCTION, (60.0, "booster")),
    )

    first = ForecastPatient.from_history(1, PRIOR, remitted)
    second = ForecastPatient.from_history(2, PRIOR, boosted)

    assert first is not None
    assert (first.baseline_phq9, first.remission) == (20.0, True)
    assert first.durability == Durability.from_prior(PRIOR)  # no interval closed yet
    assert second is not None
    assert not second.remission
    # The booster closed one relief interval of 48 days with a loss of response.
    assert second.durability == Durability.from_prior(PRIOR, 1.0, 48.0**PRIOR.shape)


def test_a_patient_not_in_response_gets_no_forecast() -> None:
    never = PatientHistory(phq9=((0.0, 20.0), (20.0, 18.0), (30.0, 17.0)), sessions=INDUCTION)

    assert ForecastPatient.from_history(1, PRIOR, never) is None


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="7 days"):
        ForecastPolicy(ForecastKind.FIXED, 3.0)
    with pytest.raises(ValueError, match="probability"):
        ForecastPolicy(ForecastKind.FORECAST, 1.5)


# --- the forecast -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared() -> dict[str, tuple[float, float]]:
    policies = [FIXED_14, FIXED_28, FIXED_56, SYMPTOM, AS_NEEDED]
    (forecast,) = forecast_costs([paul()], policies, years=200, seed=4)
    return {p.policy: (p.expected_sessions, p.expected_relapse_days) for p in forecast.policies}


def test_every_four_weeks_is_thirteen_sessions_a_year_at_the_maintenance_price() -> None:
    (forecast,) = forecast_costs([paul()], [FIXED_28], years=20, seed=1)

    (fixed,) = forecast.policies
    assert fixed.expected_sessions == 13.0
    assert (fixed.sessions_low, fixed.sessions_high) == (13.0, 13.0)
    assert fixed.expected_cost == 13 * 450.0


def test_more_sessions_buy_fewer_relapse_days(compared: dict[str, tuple[float, float]]) -> None:
    sessions = {policy: value[0] for policy, value in compared.items()}
    relapse = {policy: value[1] for policy, value in compared.items()}

    assert sessions["fixed:14"] > sessions["fixed:28"] > sessions["fixed:56"]
    assert relapse["fixed:14"] < relapse["fixed:28"] < relapse["fixed:56"]
    # Asking only at relapse gives the fewest boosters and the most relapse-days.
    assert sessions["as_needed"] < sessions["symptom"]
    assert relapse["as_needed"] > relapse["symptom"]


def test_a_patient_whose_relief_lasts_longer_needs_fewer_boosters_on_symptoms() -> None:
    short = paul(durability=Durability.from_prior(PRIOR, 6, 6 * 25.0**PRIOR.shape))
    long = paul(durability=Durability.from_prior(PRIOR, 1, 6 * 200.0**PRIOR.shape))

    quick, lasting = forecast_costs([short, long], [SYMPTOM], years=150, seed=2)

    assert quick.median_relief_days < lasting.median_relief_days
    assert quick.policies[0].expected_sessions > lasting.policies[0].expected_sessions + 2


def test_the_forecast_is_deterministic_for_a_seed_and_its_own_patient() -> None:
    alone = forecast_costs([paul(7)], [SYMPTOM], years=50, seed=9)
    again = forecast_costs([paul(7)], [SYMPTOM], years=50, seed=9)
    in_company = forecast_costs([paul(3), paul(7), paul(11)], [SYMPTOM], years=50, seed=9)
    other_seed = forecast_costs([paul(7)], [SYMPTOM], years=50, seed=10)

    assert alone == again
    assert in_company[1] == alone[0]
    assert other_seed[0] != alone[0]


def test_each_patient_gets_their_own_plan_and_the_alternatives() -> None:
    own = ForecastPolicy(ForecastKind.FIXED, 42.0)

    (forecast,) = forecast_costs([paul()], [[own, *ALTERNATIVES]], years=10, seed=1)

    assert [p.policy for p in forecast.policies] == [
        "fixed:42",
        "fixed:28",
        "symptom",
        "forecast:0.5",
    ]


def test_the_forecast_agrees_with_the_arena_on_a_cohort_of_the_same_parameters() -> None:
    """Same durability (no personal spread: a huge Gamma shape pins r), same policies.

    Tolerance (a stated choice): sessions within 8 %, relapse-days within 15 % per
    patient-year; 400 simulated years against the arena's 400 patients.
    """
    scale_days = 70.0
    a = 1e7
    durability = Durability(PRIOR.shape, a, a * scale_days**PRIOR.shape)
    patient = paul(durability=durability)
    preset = dataclasses.replace(forecast_preset(patient), weibull_scale_days=scale_days)
    texts = ("fixed:42", "symptom")

    arena = run_arena([parse_policy(t) for t in texts], 400, 400, preset=preset, seed=21)
    (forecast,) = forecast_costs(
        [patient], [ForecastPolicy(ForecastKind.FIXED, 42.0), SYMPTOM], years=400, seed=22
    )

    for simulated, ours in zip(arena.results, forecast.policies, strict=True):
        assert simulated.policy == ours.policy
        assert ours.expected_sessions == pytest.approx(
            simulated.sessions_per_patient_year, rel=0.08
        )
        assert ours.expected_relapse_days == pytest.approx(
            simulated.relapse_days_per_patient_year, rel=0.15
        )


def test_a_plan_that_is_also_an_alternative_is_simulated_once_and_listed_twice() -> None:
    (forecast,) = forecast_costs([paul()], [[FIXED_28, FIXED_28, SYMPTOM]], years=10, seed=1)

    assert [p.policy for p in forecast.policies] == ["fixed:28", "fixed:28", "symptom"]
    assert forecast.policies[0] == forecast.policies[1]


def test_the_interval_ends_are_costs_some_simulated_year_had() -> None:
    boosters = np.array([0, 1, 1, 1, 2, 2, 2, 3, 3, 4])

    result = summarise(SYMPTOM, boosters, np.zeros(10, int), np.zeros(10), paul())

    assert result.cost_low is not None
    assert result.cost_high is not None
    assert result.cost_low % 500 == 0
    assert result.cost_high % 500 == 0
    assert result.cost_low <= 500.0 < 1500.0 <= result.cost_high
