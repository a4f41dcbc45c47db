"""Durability intervals of one patient, and the ``episodes.csv`` format.

Durability (docs/clinical.md#durability) is the time from the end of induction, or from
a booster or maintenance session, to relapse. One interval per treatment:

1. It starts at the latest session of an induction series, or at a booster or
   maintenance session.
2. It counts only while the patient is in response (responding, or a relapse pending
   confirmation): relief that never came cannot last.
3. It ends in a relapse (an event) on the relapse's first qualifying check-in, its
   *anchor*, not the later confirming one: that is when symptoms returned.
4. Otherwise it is censored, at the next session (treatment intervened; a booster given
   early says nothing about how long relief would have lasted) or, for the latest
   interval, at ``censor_at`` (usually the last check-in).

The relapse state machine is the one of ``lasting_core.definitions`` and runs once over
the patient's records, so a history of years costs one pass.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lasting_core.definitions import ClinicalEventKind, DefinitionSettings, SessionKind
from lasting_core.definitions.relapse import (
    RelapseArrays,
    judged_state_codes,
    observe_clinical_event,
    observe_phq9,
    observe_session,
)
from lasting_core.definitions.rules import PENDING, RESPONDING

# Order of records at the same time, as in the definitions: the questionnaire comes
# before the dose, events between them.
_PHQ9, _EVENT, _SESSION = 0, 1, 2
_SESSION_KINDS = tuple(SessionKind)


@dataclass(frozen=True)
class DurabilityInterval:
    """One interval of relief: from ``start_day`` to ``end_day`` (engine day numbers)."""

    start_day: float
    end_day: float
    started_by: SessionKind  # induction: the end of an induction series
    relapsed: bool  # False: censored
    ended_by: str  # "relapse", a session kind, or "censored" (still open at censor_at)

    @property
    def days(self) -> float:
        """Whole days of the interval (at least 0)."""
        return float(max(math.floor(self.end_day) - math.floor(self.start_day), 0))


def durability_intervals(
    phq9: Iterable[tuple[float, float]],
    sessions: Iterable[tuple[float, str]],
    events: Iterable[tuple[float, str]] = (),
    settings: DefinitionSettings | None = None,
    *,
    censor_at: float | None = None,
) -> tuple[DurabilityInterval, ...]:
    """Return one patient's durability intervals, in time order (module docstring)."""
    s = settings or DefinitionSettings()
    records: list[tuple[float, int, str, float]] = []
    records += [(float(day), _PHQ9, "", float(score)) for day, score in phq9]
    records += [(float(day), _EVENT, str(ClinicalEventKind(kind)), 0.0) for day, kind in events]
    records += [(float(day), _SESSION, str(SessionKind(kind)), 0.0) for day, kind in sessions]
    records.sort(key=lambda record: (record[0], record[1]))
    m = RelapseArrays.empty(1)
    yes = np.ones(1, dtype=bool)
    intervals: list[DurabilityInterval] = []
    start: tuple[float, SessionKind] | None = None

    def in_response(day: float) -> bool:
        return float(judged_state_codes(m, np.full(1, day), s)[0]) in (RESPONDING, PENDING)

    def close(end_day: float, relapsed: bool, ended_by: str) -> None:
        nonlocal start
        if start is not None:
            intervals.append(DurabilityInterval(start[0], end_day, start[1], relapsed, ended_by))
        start = None

    for day, kind, label, value in records:
        at = np.full(1, day)
        if kind == _SESSION:
            session = SessionKind(label)
            if start is not None and in_response(day):
                close(day, False, str(session))
            observe_session(m, yes, at, np.full(1, session == SessionKind.INDUCTION), s)
            start = (day, session)
            continue
        if kind == _PHQ9:
            relapsed = observe_phq9(m, yes, at, np.full(1, value), s)
        else:
            relapsed = observe_clinical_event(m, yes, at, s)
        anchor = float(m.relapse_anchor[0])
        if relapsed[0] and start is not None and anchor >= start[0]:
            close(anchor, True, "relapse")
    still_open = start is not None and censor_at is not None and censor_at > start[0]
    if still_open and censor_at is not None and in_response(censor_at):
        close(censor_at, False, "censored")
    return tuple(intervals)


# ---------------------------------------------------------------------------------------
# episodes.csv: episode_id, duration_days, event[, group]


EPISODE_COLUMNS = ("episode_id", "duration_days", "event")
GROUP_COLUMN = "group"


@dataclass(frozen=True)
class Episode:
    """One row of ``episodes.csv``: a duration in days, ended by relapse or censored."""

    episode_id: str
    duration_days: float
    event: bool
    group: str | None = None


class EpisodeFileError(ValueError):
    """A malformed ``episodes.csv``: the line number (1 = the header) and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def read_episodes(text: str, *, group_by: str | None = None) -> tuple[Episode, ...]:
    """Parse ``episodes.csv`` text; raise EpisodeFileError at the first bad line.

    ``group_by`` names the column that groups the episodes (by default none; the
    format's optional ``group`` column is then ignored).
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise EpisodeFileError(
            1, "the file is empty; expected the header episode_id,duration_days,event[,group]"
        )
    names = [cell.strip() for cell in header]
    missing = [column for column in EPISODE_COLUMNS if column not in names]
    if missing:
        raise EpisodeFileError(1, f"missing column(s): {', '.join(missing)}")
    if len(set(names)) != len(names):
        raise EpisodeFileError(1, "a column name appears twice")
    if group_by is not None and group_by not in names:
        raise EpisodeFileError(1, f"no column named {group_by!r} to group by")
    index = {name: i for i, name in enumerate(names)}
    episodes: list[Episode] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise EpisodeFileError(line, f"expected {len(names)} fields, found {len(row)}")
        episode_id = row[index["episode_id"]].strip()
        if not episode_id:
            raise EpisodeFileError(line, "episode_id is empty")
        if episode_id in seen:
            raise EpisodeFileError(line, f"episode_id {episode_id!r} appears twice")
        seen.add(episode_id)
        episodes.append(
            Episode(
                episode_id=episode_id,
                duration_days=_duration(row[index["duration_days"]], line),
                event=_event(row[index["event"]], line),
                group=_group(row, index, group_by, line),
            )
        )
    if not episodes:
        raise EpisodeFileError(1, "the file has a header but no episodes")
    return tuple(episodes)


def _duration(cell: str, line: int) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise EpisodeFileError(line, f"duration_days {cell.strip()!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise EpisodeFileError(line, f"duration_days {cell.strip()!r} must be 0 or more")
    return value


def _event(cell: str, line: int) -> bool:
    value = cell.strip()
    if value not in ("0", "1"):
        raise EpisodeFileError(line, f"event {value!r} must be 1 (relapse) or 0 (censored)")
    return value == "1"


def _group(
    row: Sequence[str], index: dict[str, int], group_by: str | None, line: int
) -> str | None:
    if group_by is None:
        return None
    value = row[index[group_by]].strip()
    if not value:
        raise EpisodeFileError(line, f"{group_by} is empty")
    return value


def write_episodes(episodes: Iterable[Episode]) -> str:
    """Return ``episodes.csv`` text (with the group column when any episode has one)."""
    rows = list(episodes)
    grouped = any(episode.group is not None for episode in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*EPISODE_COLUMNS, GROUP_COLUMN] if grouped else EPISODE_COLUMNS)
    for episode in rows:
        event = "1" if episode.event else "0"
        cells = [episode.episode_id, _days_text(episode.duration_days), event]
        writer.writerow([*cells, episode.group or ""] if grouped else cells)
    return out.getvalue()


def _days_text(days: float) -> str:
    """Whole days as integers (``12``), others in full: they must read back unchanged."""
    return str(int(days)) if float(days).is_integer() else repr(float(days))
