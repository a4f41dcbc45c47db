"""Personal items, their answers and life events as CSV (docs/formats.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lasting_core.csvformats import (
    CsvFormatError,
    LifeEventCode,
    WarningWhen,
    read_life_events,
    read_personal_items,
    read_personal_observations,
)
from lasting_core.daynumbers import day_number
from lasting_core.engine import LifeEventKind

ITEMS = (
    "patient_id,item,label,warning_when,threshold,low,high,unit\n"
    "p1,sleep,Sleep,below,5,0,12,h\n"
    "p1,friends,Withdrew from friends,yes,,,,\n"
    "p2,craving,Craving,above,7,,,\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_personal_items_read_numbers_and_yes_no_items(tmp_path):
    sleep, friends, craving = read_personal_items(write(tmp_path, "personal_items.csv", ITEMS))
    assert (sleep.warning_when, sleep.threshold, sleep.low, sleep.high, sleep.unit) == (
        WarningWhen.BELOW,
        5.0,
        0.0,
        12.0,
        "h",
    )
    assert friends.yes_no
    assert (friends.threshold, friends.low, friends.high) == (None, 0.0, 1.0)
    assert (craving.low, craving.high) == (0.0, 10.0)  # the daily items' scale by default


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("p1,sleep,Sleep,under,5,0,12,h", "warning_when 'under' is not one of below, above"),
        ("p1,sleep,Sleep,below,,0,12,h", "threshold is required for a below/above item"),
        ("p1,sleep,Sleep,below,12,0,12,h", "threshold 12 must lie in 0–12 and not at its good"),
        ("p1,sleep,Sleep,above,0,0,12,h", "not at its good end (0)"),
        ("p1,sleep,Sleep,below,5,12,0,h", "low 12 must be below high 0"),
        ("p1,sleep,Sleep,below,five,0,12,h", "threshold 'five' is not a number"),
        ("p1,friends,Friends,yes,0.5,,,", "threshold must be empty for a yes/no item"),
        ("p1,sleep,,below,5,0,12,h", "label is empty"),
        ("p1,,Sleep,below,5,0,12,h", "item is empty"),
        ("p1,x,Sleep again,below,5,0,12,h\np1,x,Twice,above,5,,,", "item 'x' is named twice"),
    ],
)
def test_a_bad_personal_item_row_names_its_line_and_column(tmp_path, row, reason):
    header = "patient_id,item,label,warning_when,threshold,low,high,unit\np0,ok,OK,above,5,,,\n"
    path = write(tmp_path, "personal_items.csv", header + row + "\n")
    with pytest.raises(CsvFormatError) as raised:
        read_personal_items(path)
    assert raised.value.line == 2 + row.count("\n") + 1
    assert reason in str(raised.value)


def test_personal_observations_read_values_and_yes_no_answers(tmp_path):
    items = read_personal_items(write(tmp_path, "personal_items.csv", ITEMS))
    path = write(
        tmp_path,
        "personal_observations.csv",
        "patient_id,observed_on,item,value\n"
        "p1,2026-03-02T21:00:00,sleep,4.5\n"
        "p1,2026-03-02,friends,yes\n"
        "p1,2026-03-03,friends,0\n"
        "p2,2026-03-03,craving,8\n",
    )
    rows = read_personal_observations(path, items)
    assert [(row.item, row.value) for row in rows] == [
        ("sleep", 4.5),
        ("friends", 1.0),
        ("friends", 0.0),
        ("craving", 8.0),
    ]
    assert rows[0].day == day_number(date(2026, 3, 2)) + 21 / 24


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("p1,2026-03-02,sleep,13", "value 13 is outside 0–12 for sleep"),
        ("p1,2026-03-02,friends,maybe", "value 'maybe' must be yes or no (or 1 or 0)"),
        ("p2,2026-03-02,sleep,5", "item 'sleep' is not in personal_items.csv for p2"),
        ("p1,2026-03-02,mood,5", "item 'mood' is not in personal_items.csv for p1"),
        ("p1,2026-02-30,sleep,5", "'2026-02-30' is not an ISO date"),
        ("p1,2026-03-02,sleep,", "value '' is not a number"),
    ],
)
def test_a_bad_personal_observation_names_its_line_and_column(tmp_path, row, reason):
    items = read_personal_items(write(tmp_path, "personal_items.csv", ITEMS))
    path = write(
        tmp_path,
        "personal_observations.csv",
        "patient_id,observed_on,item,value\np1,2026-03-01,sleep,7\n" + row + "\n",
    )
    with pytest.raises(CsvFormatError) as raised:
        read_personal_observations(path, items)
    assert raised.value.line == 3
    assert reason in str(raised.value)


def test_life_events_read_kind_and_weight(tmp_path):
    path = write(
        tmp_path,
        "life_events.csv",
        "patient_id,occurred_on,kind,weight\np1,2026-03-02,loss,1\np1,2026-04-01,move,0.33\n",
    )
    loss, move = read_life_events(path)
    assert (loss.kind, loss.weight, loss.day) == (LifeEventCode.LOSS, 1.0, 739677.0)
    assert (move.kind, move.weight) == (LifeEventCode.MOVE, 0.33)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("p1,2026-03-02,divorce,1", "kind 'divorce' is not one of loss, conflict, move"),
        ("p1,2026-03-02,loss,2", "weight 2 is outside 0–1"),
        ("p1,2026-03-02,loss,", "weight '' is not a number"),
        (",2026-03-02,loss,1", "patient_id is empty"),
    ],
)
def test_a_bad_life_event_names_its_line_and_column(tmp_path, row, reason):
    path = write(tmp_path, "life_events.csv", "patient_id,occurred_on,kind,weight\n" + row + "\n")
    with pytest.raises(CsvFormatError) as raised:
        read_life_events(path)
    assert raised.value.line == 2
    assert reason in str(raised.value)


def test_a_missing_column_of_the_new_files_is_named(tmp_path):
    with pytest.raises(CsvFormatError, match="missing column\\(s\\) weight"):
        read_life_events(write(tmp_path, "l.csv", "patient_id,occurred_on,kind\n"))


def test_the_file_codes_are_the_engines_kinds():
    assert [code.value for code in LifeEventCode] == [kind.value for kind in LifeEventKind]
