"""The pure core never reads the wall clock, and neither do its tests.

"Today" always comes in as an argument (docs/architecture.md): that is what lets CI skip
tests/core in the pinned-clock passes (`make test-clocks`), where the pin could change
nothing here. A read of the clock added to either tree fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WALL_CLOCK = re.compile(
    r"\b(?:datetime\.now|datetime\.utcnow|date\.today|datetime\.today|timezone\.now"
    r"|time\.time|time\.localtime|time\.gmtime)\s*\("
)


def clock_reads(folder: Path) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(folder.rglob("*.py"))
        if path != Path(__file__).resolve()  # this file names the reads it looks for
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]


def test_the_pure_core_and_its_tests_never_read_the_wall_clock() -> None:
    assert clock_reads(ROOT / "src" / "lasting_core") == []
    assert clock_reads(ROOT / "tests" / "core") == []


def test_the_check_finds_a_clock_read_and_not_a_stopwatch() -> None:
    assert WALL_CLOCK.search("stamp = datetime.now(UTC)")
    assert WALL_CLOCK.search("day = date.today()")
    assert not WALL_CLOCK.search("started = time.perf_counter()")
