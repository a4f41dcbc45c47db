"""Stressful life events raise the short-term hazard, then fade (docs/engine.md 2.10)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from lasting_core.engine import (
    EngineSettings,
    LifeEvent,
    LifeEventKind,
    PatientHistory,
    assess_patient,
)
from tests.core.engine_factories import make_responder

CALM = [4.0, 5.0, 4.0, 3.0, 4.0, 5.0, 4.0, 4.0, 3.0, 4.0, 5.0, 4.0, 4.0, 4.0, 3.0]
EVENT_DAY = 60.0


def calm(*events: LifeEvent) -> PatientHistory:
    """A responder with weekly PHQ-9 of 3-5 from day 31 to day 129."""
    return dataclasses.replace(make_responder(weekly=CALM), life_events=events)


def p28(history: PatientHistory, day: float, settings: EngineSettings | None = None) -> float:
    value = assess_patient(history, day, settings).p_relapse_28d
    assert value is not None
    return value


def test_a_stressful_event_raises_the_28_day_risk() -> None:
    loss = calm(LifeEvent(EVENT_DAY, LifeEventKind.LOSS, 1.0))
    before, after = p28(calm(), EVENT_DAY + 1.0), p28(loss, EVENT_DAY + 1.0)
    assert after > before + 0.03
    assert after > 1.5 * before


def test_the_effect_grows_with_the_weight_and_is_nil_at_weight_zero() -> None:
    risks = [
        p28(calm(LifeEvent(EVENT_DAY, LifeEventKind.CONFLICT, w)), EVENT_DAY + 1.0)
        for w in (0.0, 0.33, 0.67, 1.0)
    ]
    assert risks[0] == p28(calm(), EVENT_DAY + 1.0)
    assert risks == sorted(risks)
    assert len(set(risks)) == 4


def test_the_effect_fades_after_the_documented_window() -> None:
    """Three time constants (42 days) leave 5 % of the load; by 8 weeks the risk is back."""
    loss = calm(LifeEvent(EVENT_DAY, LifeEventKind.LOSS, 1.0))
    gaps = [p28(loss, EVENT_DAY + d) - p28(calm(), EVENT_DAY + d) for d in (1.0, 14.0, 56.0)]
    assert gaps[0] > gaps[1] > gaps[2] >= 0.0
    assert gaps[2] < 0.005


def test_an_event_before_its_day_changes_nothing() -> None:
    """No look-ahead: an event recorded for tomorrow does not move today's numbers."""
    loss = calm(LifeEvent(EVENT_DAY + 1.0, LifeEventKind.LOSS, 1.0))
    assert assess_patient(loss, EVENT_DAY + 0.5) == assess_patient(calm(), EVENT_DAY + 0.5)


def test_the_sentence_names_the_event_while_it_counts() -> None:
    loss = calm(LifeEvent(EVENT_DAY, LifeEventKind.LOSS, 1.0))
    words = "a stressful life event (loss, weight 1 of 1) 5 days ago raises the chance"
    assert words in assess_patient(loss, EVENT_DAY + 5.5).explanation
    assert "life event" not in assess_patient(loss, EVENT_DAY + 43.0).explanation


def test_a_session_restarts_the_count_of_the_extra_hazard() -> None:
    """After a booster, only the load left after it counts (the regimes restart there)."""
    loss = LifeEvent(EVENT_DAY, LifeEventKind.LOSS, 1.0)
    boosted = dataclasses.replace(make_responder(weekly=CALM, boosters=(75.0,)))
    with_event = dataclasses.replace(boosted, life_events=(loss,))
    risk_after = p28(with_event, 90.5)
    assert risk_after >= p28(boosted, 90.5)
    assert not math.isnan(risk_after)


def test_the_size_is_a_setting() -> None:
    loss = calm(LifeEvent(EVENT_DAY, LifeEventKind.LOSS, 1.0))
    off = EngineSettings(life_event_onset_probability=0.0)
    assert p28(loss, EVENT_DAY + 1.0, off) == p28(calm(), EVENT_DAY + 1.0, off)
    strong = EngineSettings(life_event_onset_probability=0.5)
    assert p28(loss, EVENT_DAY + 1.0, strong) > p28(loss, EVENT_DAY + 1.0)


def test_the_hazard_integrates_to_the_documented_probability() -> None:
    settings = EngineSettings()
    total = settings.life_event_hazard_per_day * settings.life_event_fade_days
    assert 1.0 - math.exp(-total) == pytest.approx(settings.life_event_onset_probability)


@pytest.mark.parametrize("weight", [-0.1, 1.5, math.nan])
def test_a_weight_outside_0_1_is_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        LifeEvent(EVENT_DAY, LifeEventKind.MOVE, weight)


def test_a_plain_string_kind_is_accepted_and_an_unknown_one_refused() -> None:
    assert LifeEvent(EVENT_DAY, "job", 0.5).kind is LifeEventKind.JOB  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="divorce"):
        LifeEvent(EVENT_DAY, "divorce", 0.5)  # type: ignore[arg-type]
