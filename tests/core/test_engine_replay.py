"""Replay: day by day, no look-ahead, one alert per episode (docs/engine.md)."""

from __future__ import annotations

import numpy as np
import pytest

from lasting_core.definitions import RelapseState
from lasting_core.engine import (
    EngineSettings,
    PatientHistory,
    ReplayAlert,
    SignalKind,
    assess_patient,
    replay,
    run_replay,
)
from lasting_core.simulation import MaintenancePolicy, simulate_cohort
from lasting_core.simulation.evaluation import history_of, observed_relapses
from tests.core.engine_factories import INDUCTION_DAYS, make_responder

MIX = {MaintenancePolicy.NONE: 0.4, MaintenancePolicy.SYMPTOM: 0.6}


@pytest.fixture(scope="module")
def clinic() -> dict[str, PatientHistory]:
    cohort = simulate_cohort(60, 180, seed=3, policy_mix=MIX, enrolment_days=60)
    return {f"p{p.index}": history_of(p) for p in cohort.patients}


@pytest.fixture(scope="module")
def full_replay(clinic: dict[str, PatientHistory]) -> list[ReplayAlert]:
    return replay(clinic)


def test_the_replay_raises_every_kind_of_alert(full_replay: list[ReplayAlert]) -> None:
    kinds = {alert.kind for alert in full_replay}
    assert kinds == {SignalKind.EARLY_WARNING, SignalKind.RELAPSE, SignalKind.DISENGAGEMENT}
    assert all(alert.reason for alert in full_replay)


@pytest.mark.parametrize("cut", [75, 130])
def test_cutting_the_input_after_a_day_changes_no_alert_dated_on_or_before_it(
    clinic: dict[str, PatientHistory], full_replay: list[ReplayAlert], cut: int
) -> None:
    cut_clinic = {pid: h.until(cut + 0.999) for pid, h in clinic.items()}
    cut_replay = replay(cut_clinic, start_day=0.0)
    before = [a for a in full_replay if a.alerted_day <= cut]
    assert before
    assert [a for a in cut_replay if a.alerted_day <= cut] == before


def test_relapse_alerts_fall_on_the_days_the_criteria_were_met(
    clinic: dict[str, PatientHistory], full_replay: list[ReplayAlert]
) -> None:
    cohort = simulate_cohort(60, 180, seed=3, policy_mix=MIX, enrolment_days=60)
    expected = sorted((f"p{p.index}", day) for p in cohort.patients for day in observed_relapses(p))
    found = sorted((a.patient_id, a.alerted_day) for a in full_replay if a.kind == "relapse")
    assert found == expected


def rising_patient(*, booster: float | None = None) -> PatientHistory:
    """A responder whose PHQ-9 climbs from day 59 and stays high for weeks."""
    weekly = [3.0, 4.0, 3.0, 4.0, 8.0, 12.0, 15.0, 17.0, 18.0, 18.0, 19.0]
    return make_responder(weekly=weekly, boosters=() if booster is None else (booster,))


def test_a_warning_that_keeps_holding_is_one_alert() -> None:
    alerts = replay({"paul": rising_patient()}, start_day=0.0, end_day=120.0)
    warnings = [a for a in alerts if a.kind == SignalKind.EARLY_WARNING]
    relapses = [a for a in alerts if a.kind == SignalKind.RELAPSE]
    assert len(warnings) == 1
    assert len(relapses) == 1
    assert warnings[0].alerted_day < relapses[0].alerted_day
    assert warnings[0].p_relapse_28d is not None
    assert warnings[0].p_relapse_28d >= 0.5


def test_a_session_ends_the_episode_so_a_new_rise_warns_again() -> None:
    weekly = [3.0, 4.0, 3.0, 9.0, 13.0, 3.0, 3.0, 4.0, 3.0, 3.0, 9.0, 13.0]
    history = make_responder(weekly=weekly, boosters=(63.0,))
    result = run_replay({"paul": history}, start_day=0.0, end_day=120.0)
    warnings = [a for a in result.alerts if a.kind == SignalKind.EARLY_WARNING]
    assert len(warnings) == 2
    ended = [e for e in result.episodes if e.kind == SignalKind.EARLY_WARNING and e.end_day]
    assert ended[0].end_reason == "session"


def test_disengagement_is_one_alert_per_silence() -> None:
    history = make_responder(weekly=[4.0, 4.0, 4.0, 3.0])  # last check-in on day 52
    alerts = replay({"paul": history}, start_day=0.0, end_day=120.0)
    silence = [a for a in alerts if a.kind == SignalKind.DISENGAGEMENT]
    assert [a.alerted_day for a in silence] == [52.0 + 2.0 + 14.0]


@pytest.mark.parametrize(("fold_days", "alerted"), [(1.0, [68.0, 96.0]), (28.0, [68.0])])
def test_a_patient_who_drifts_away_again_soon_stays_in_one_disengagement_episode(
    fold_days: float, alerted: list[float]
) -> None:
    """Silent from day 52, one check-in on day 80, silent again: with a fold of four
    weeks the second silence (missed from day 96) joins the first episode."""
    history = make_responder(weekly=[4.0, 4.0, 4.0, 3.0])
    history = PatientHistory(
        phq9=(*history.phq9, (80.0, 4.0)), sessions=history.sessions, daily=history.daily
    )
    settings = EngineSettings(disengagement_fold_days=fold_days)
    result = run_replay({"paul": history}, settings, start_day=0.0, end_day=120.0)
    silence = [a.alerted_day for a in result.alerts if a.kind == SignalKind.DISENGAGEMENT]
    assert silence == alerted


def test_at_risk_days_count_the_days_in_response() -> None:
    result = run_replay({"paul": make_responder()}, start_day=0.0, end_day=99.0)
    # Responded on day 31, seven days after the last induction session (day 24): the
    # verdict is final once a week has passed without one, on day 32. Days 32-99.
    assert result.at_risk_days == {"paul": 68}
    assert np.isfinite(result.first_day)


def test_scores_during_induction_raise_no_relapse_and_no_warning() -> None:
    """A good day after the first infusion, then relapse-level scores between infusions:
    the clock starts only at the end of induction, so nothing fires inside the series."""
    sessions = tuple((day, "induction") for day in INDUCTION_DAYS)
    during = ((11.0, 4.0), (14.0, 15.0), (20.0, 16.0), (23.0, 15.0))
    after = tuple((31.0 + 7.0 * week, 4.0) for week in range(8))
    history = PatientHistory(phq9=((5.0, 20.0), *during, *after), sessions=sessions)
    result = run_replay({"paul": history}, start_day=0.0, end_day=90.0)
    assert [a for a in result.alerts if a.kind == SignalKind.RELAPSE] == []
    assert [a for a in result.alerts if a.alerted_day <= INDUCTION_DAYS[-1] + 7.0] == []
    assert result.at_risk_days == {"paul": 90 - 32 + 1}
    inside = assess_patient(history, 21.0)
    assert inside.relapse_state == RelapseState.NOT_ASSESSED
    assert inside.p_relapse_28d is None
    assert inside.relapse_bar is None
