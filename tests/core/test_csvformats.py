"""CSV exchange formats: good files read in full, a bad row is named by line and reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lasting_core.csvformats import (
    AlertKindCode,
    AlertRow,
    CsvFormatError,
    ObservationKind,
    read_observations,
    read_sessions,
    write_alerts,
)
from lasting_core.daynumbers import date_of_day, day_number


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_observations_read_dates_datetimes_and_item9(tmp_path):
    path = write(
        tmp_path,
        "observations.csv",
        "patient_id,observed_on,instrument,score,item9\n"
        "p1,2026-03-02,phq9,14,1\n"
        "p1,2026-03-09T18:30:00,gad7,8,\n"
        "p2,2026-03-03,daily_sleep,4.5,\n",
    )
    rows = read_observations(path)
    assert [row.instrument for row in rows] == [
        ObservationKind.PHQ9,
        ObservationKind.GAD7,
        ObservationKind.DAILY_SLEEP,
    ]
    assert rows[0].item9 == 1
    assert rows[0].observed_at == date(2026, 3, 2)
    assert rows[1].day == pytest.approx(date(2026, 3, 9).toordinal() + 18.5 / 24)
    assert rows[2].score == 4.5


def test_item9_is_optional_and_the_column_may_be_absent(tmp_path):
    path = write(
        tmp_path, "o.csv", "patient_id,observed_on,instrument,score\np1,2026-03-02,phq9,3\n"
    )
    assert read_observations(path)[0].item9 is None


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("p1,2026-03-02,phq9,28,", "score 28 is outside 0–27 for phq9"),
        ("p1,2026-03-02,phq10,3,", "instrument 'phq10' is not one of"),
        ("p1,02/03/2026,phq9,3,", "'02/03/2026' is not an ISO date"),
        ("p1,2026-03-02,phq9,three,", "score 'three' is not a number"),
        (",2026-03-02,phq9,3,", "patient_id is empty"),
        ("p1,2026-03-02,gad7,3,1", "item9 is only allowed on phq9 rows"),
        ("p1,2026-03-02,phq9,3,4", "item9 '4' must be 0, 1, 2 or 3"),
        ("p1,2026-03-02,phq9,nan,", "score must be a finite number"),
        ("p1,2026-03-02,phq9,3,0,extra", "more values than header columns"),
        ("p1,2026-03-02,phq9,1,2", "item9 2 is larger than the PHQ-9 total 1"),
    ],
)
def test_a_bad_observation_row_names_its_line_and_reason(tmp_path, row, reason):
    path = write(
        tmp_path,
        "observations.csv",
        "patient_id,observed_on,instrument,score,item9\np1,2026-03-01,phq9,5,0\n" + row + "\n",
    )
    with pytest.raises(CsvFormatError) as raised:
        read_observations(path)
    assert raised.value.line == 3
    assert reason in str(raised.value)
    assert str(raised.value).startswith(f"{path}, line 3: ")


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path, "o.csv", "patient_id,observed_on,score\np1,2026-03-02,3\n")
    with pytest.raises(CsvFormatError, match="missing column\\(s\\) instrument"):
        read_observations(path)


def test_an_empty_file_needs_a_header(tmp_path):
    with pytest.raises(CsvFormatError, match="empty"):
        read_observations(write(tmp_path, "o.csv", ""))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(
        "patient_id,observed_on,instrument,score\nJosé,2026-03-02,phq9,3\n".encode("latin-1")
    )
    with pytest.raises(CsvFormatError, match="not UTF-8"):
        read_observations(path)


def test_sessions_read_with_optional_route_and_dose(tmp_path):
    path = write(
        tmp_path,
        "sessions.csv",
        "patient_id,session_on,kind,route,dose_mg\n"
        "p1,2026-03-01,induction,iv,40\n"
        "p1,2026-04-01T10:00:00,booster,,\n",
    )
    first, second = read_sessions(path)
    assert (first.kind, first.route, first.dose_mg) == ("induction", "iv", 40.0)
    assert (second.route, second.dose_mg) == (None, None)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "p1,2026-03-01,infusion,,",
            "kind 'infusion' is not one of induction, booster, maintenance",
        ),
        ("p1,2026-03-01,booster,oral,", "route 'oral' is not one of"),
        ("p1,2026-03-01,booster,iv,-3", "dose_mg must not be negative"),
    ],
)
def test_a_bad_session_row_names_its_line_and_reason(tmp_path, row, reason):
    path = write(tmp_path, "s.csv", "patient_id,session_on,kind,route,dose_mg\n" + row + "\n")
    with pytest.raises(CsvFormatError, match=reason) as raised:
        read_sessions(path)
    assert raised.value.line == 2


def test_alerts_are_written_with_the_documented_columns(tmp_path):
    path = tmp_path / "alerts.csv"
    count = write_alerts(
        path,
        [
            AlertRow("p1", date(2026, 5, 1), AlertKindCode.EARLY_WARNING, 0.62, "PHQ-9 rose"),
            AlertRow("p2", date(2026, 5, 2), AlertKindCode.DISENGAGEMENT, None, "2 missed"),
        ],
    )
    assert count == 2
    assert path.read_text().splitlines() == [
        "patient_id,alerted_on,kind,p_relapse_28d,reason",
        "p1,2026-05-01,early_warning,0.620,PHQ-9 rose",
        "p2,2026-05-02,disengagement,,2 missed",
    ]
    assert not list(tmp_path.glob("*.partial"))


def test_day_numbers_keep_the_time_of_day():
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert day_number(noon) - day_number(date(2026, 1, 1)) == 0.5


def test_a_day_number_maps_back_to_its_date():
    assert date_of_day(day_number(datetime(2026, 3, 9, 23, 59, tzinfo=UTC))) == date(2026, 3, 9)


def test_a_column_named_twice_is_refused(tmp_path):
    path = write(tmp_path, "o.csv", "patient_id,observed_on,instrument,score,score\n")
    with pytest.raises(CsvFormatError, match="column\\(s\\) named twice: score"):
        read_observations(path)
