"""The app opens the engine's alerts by the same episode rule as the engine's replay.

Paul (the shared persona, treated by dr_ana) goes through induction, a relapse and a
booster, a three-week silence, a return that a booster interrupts and one that fades by
itself. His check-ins and sessions enter through the intake services day by day, and the
app assesses him every evening on his own clock. The alerts it opens must be the
episodes `lasting_core.engine.replay` finds on the same history: same kinds, same days.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lasting.alerts.models import Alert, AlertKind
from lasting.intake.services import log_session
from lasting.patients.models import Patient
from lasting.risk.history import list_history_rows, local_day
from lasting.risk.services import SIGNAL_ALERTS, assess_one, history_of, prior_or_default
from lasting.treatment.models import SessionKind
from lasting_core.engine import EngineSettings, ReplayResult, SignalKind, run_replay
from tests.factories import SYSTEM, make_phq9, reading_rows, session_fields
from tests.personas import make_personas

pytestmark = pytest.mark.django_db

# Paul's story, in days from his first visit: PHQ-9 totals and sessions.
PHQ9_BY_DAY = {
    0: 20,
    16: 6,
    23: 4,
    30: 3,
    37: 3,
    44: 4,
    51: 6,
    58: 8,
    65: 10,
    72: 12,
    79: 14,  # the second check-in over his relapse bar: a relapse, confirmed
    87: 5,
    94: 3,
    101: 3,
    # silence from day 102 to day 125: missed check-ins
    126: 4,
    133: 6,
    140: 9,
    147: 11,
    152: 9,
    # silence from day 153 to day 170: missed again soon after the first silence
    171: 4,
    178: 9,
    185: 11,
    192: 8,
    199: 4,
    206: 3,
    213: 3,
    220: 3,
    227: 3,
    234: 3,
    241: 3,
}
SESSIONS_BY_DAY = {
    **dict.fromkeys((2, 4, 6, 9, 11, 13), SessionKind.INDUCTION),
    80: SessionKind.BOOSTER,
    148: SessionKind.BOOSTER,
}
LAST_DAY = 245
FIRST_VISIT = date(2026, 3, 2)  # on Paul's clock


def at(zone: ZoneInfo, day: int, hour: int) -> datetime:
    """Paul's wall-clock time `hour`:00 on `day` days after his first visit."""
    return datetime.combine(FIRST_VISIT + timedelta(days=day), time(hour), tzinfo=zone)


@pytest.fixture
def paul_followed_daily():
    """Paul's history entered day by day, the app assessing him each evening."""
    personas = make_personas()
    paul = personas.paul
    zone = ZoneInfo(paul.time_zone)
    for day in range(LAST_DAY + 1):
        if day in PHQ9_BY_DAY:
            make_phq9(paul, PHQ9_BY_DAY[day], submitted_at=at(zone, day, 9))
        if day in SESSIONS_BY_DAY:
            started_at = at(zone, day, 11)
            log_session(
                SYSTEM,
                paul,
                session_fields(started_at, kind=SESSIONS_BY_DAY[day]),
                reading_rows(started_at),
            )
        assess_one(paul, at(zone, day, 21))
    return paul


def replay_of(paul: Patient, settings: EngineSettings | None = None) -> ReplayResult:
    """The engine's replay of Paul's history, evening by evening on his clock."""
    zone = ZoneInfo(paul.time_zone)
    end = at(zone, LAST_DAY, 21)
    history = history_of(list_history_rows([paul], end)[paul.pk])
    return run_replay(
        {"paul": history},
        settings,
        prior=prior_or_default(paul.organization_id),
        start_day=math.floor(local_day(at(zone, 0, 21), zone)),
        end_day=local_day(end, zone),
    )


def test_the_app_opens_an_alert_on_the_first_day_of_each_replay_episode(paul_followed_daily):
    paul = paul_followed_daily
    zone = ZoneInfo(paul.time_zone)
    opened = sorted(
        (str(alert.kind), math.floor(local_day(alert.opened_at, zone)))
        for alert in Alert.objects.filter(patient=paul).exclude(kind=AlertKind.SAFETY)
    )
    result = replay_of(paul)
    episodes = sorted(
        (str(SIGNAL_ALERTS[episode.kind]), int(episode.start_day)) for episode in result.episodes
    )
    assert opened == episodes
    # The story exercises every rule: each way an episode can end occurs in it.
    assert {episode.end_reason for episode in result.episodes} == {
        "relapse",
        "session",
        "quiet",
        "checkin",
    }


def test_the_second_silence_folds_into_the_first_disengagement_in_both(paul_followed_daily):
    paul = paul_followed_daily
    assert Alert.objects.filter(patient=paul, kind=AlertKind.DISENGAGEMENT).count() == 1
    unfolded = replay_of(paul, EngineSettings(disengagement_fold_days=1.0))
    silences = [e for e in unfolded.episodes if e.kind == SignalKind.DISENGAGEMENT]
    assert len(silences) == 2
