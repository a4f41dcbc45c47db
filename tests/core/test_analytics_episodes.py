"""The episodes.csv format: every malformed file is refused with its line and reason."""

from __future__ import annotations

import pytest

from lasting_core.analytics.episodes import (
    Episode,
    EpisodeFileError,
    read_episodes,
    write_episodes,
)

HEADER = "episode_id,duration_days,event,group\n"


def test_episodes_are_read_with_their_durations_and_events() -> None:
    episodes = read_episodes("episode_id,duration_days,event\na,12,1\nb,40.5,0\n")
    assert episodes == (Episode("a", 12.0, True), Episode("b", 40.5, False))


def test_the_group_column_is_read_only_when_asked() -> None:
    text = HEADER + "a,12,1,ketamine\nb,40,0,esketamine\n"
    assert read_episodes(text)[0].group is None
    assert [e.group for e in read_episodes(text, group_by="group")] == ["ketamine", "esketamine"]


def test_any_extra_column_can_group_the_episodes() -> None:
    text = "episode_id,duration_days,event,diagnosis\na,12,1,mdd\n"
    assert read_episodes(text, group_by="diagnosis")[0].group == "mdd"


def test_blank_lines_and_spaces_around_cells_are_ignored() -> None:
    text = "episode_id, duration_days, event\n\n a , 12 , 1 \n\n"
    assert read_episodes(text) == (Episode("a", 12.0, True),)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "the file is empty"),
        ("episode_id,event\na,1\n", 1, "missing column(s): duration_days"),
        ("episode_id,duration_days,event,event\n", 1, "a column name appears twice"),
        ("episode_id,duration_days,event\n", 1, "the file has a header but no episodes"),
        (HEADER + "a,12,1\n", 2, "expected 4 fields, found 3"),
        (HEADER + "a,12,1,x\n,3,0,x\n", 3, "episode_id is empty"),
        (HEADER + "a,12,1,x\na,3,0,x\n", 3, "episode_id 'a' appears twice"),
        (HEADER + "a,twelve,1,x\n", 2, "duration_days 'twelve' is not a number"),
        (HEADER + "a,-3,1,x\n", 2, "duration_days '-3' must be 0 or more"),
        (HEADER + "a,inf,1,x\n", 2, "duration_days 'inf' must be 0 or more"),
        (HEADER + "a,3,yes,x\n", 2, "event 'yes' must be 1 (relapse) or 0 (censored)"),
        (HEADER + "a,3,2,x\n", 2, "event '2' must be 1 (relapse) or 0 (censored)"),
    ],
)
def test_a_malformed_file_names_its_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(EpisodeFileError) as raised:
        read_episodes(text)
    assert raised.value.line == line
    assert raised.value.reason.startswith(reason)
    assert str(raised.value).startswith(f"line {line}: ")


def test_an_unknown_group_column_is_refused_on_the_header() -> None:
    with pytest.raises(EpisodeFileError) as raised:
        read_episodes(HEADER + "a,3,1,x\n", group_by="diagnosis")
    assert (raised.value.line, raised.value.reason) == (
        1,
        "no column named 'diagnosis' to group by",
    )


def test_an_empty_group_is_refused_when_grouping() -> None:
    with pytest.raises(EpisodeFileError) as raised:
        read_episodes(HEADER + "a,3,1,x\nb,4,0,\n", group_by="group")
    assert (raised.value.line, raised.value.reason) == (3, "group is empty")


def test_written_episodes_read_back_unchanged() -> None:
    episodes = (
        Episode("p1-1", 12.0, True, "ketamine"),
        Episode("p1-2", 12.3456789, False, "ketamine"),
        Episode("p2,1", 1234567.0, True, "esketamine"),
    )
    text = write_episodes(episodes)
    assert text.splitlines()[0] == "episode_id,duration_days,event,group"
    assert text.splitlines()[1] == "p1-1,12,1,ketamine"
    assert read_episodes(text, group_by="group") == episodes


def test_episodes_without_groups_are_written_without_the_group_column() -> None:
    text = write_episodes([Episode("a", 3.0, False)])
    assert text == "episode_id,duration_days,event\na,3,0\n"
    assert read_episodes(text) == (Episode("a", 3.0, False),)
