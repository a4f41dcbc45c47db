"""Time the outcome blocks of the clinic analytics page for a clinic of N patients.

- the daily alert-performance job (`risk.performance.refresh_alert_performance`): every
  patient's history read, the engine replayed over the last 12 months, scored, stored;
  and the page's read of the stored snapshot (`find_alert_performance`);
- boosters and cost per patient-year (`costs.outcomes.summarize_boosters`) and the
  booster proposals by status (`count_booster_proposals`), read live by the page.

The script seeds the demo clinic with N simulated patients into a throw-away SQLite
database (or the PostgreSQL database named by LASTING_DATABASE_URL), as
benchmarks/caseload.py does, and times each call in-process.

Run: .venv/bin/python benchmarks/alert_performance.py [--patients 240] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def timed(call: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Run ``call`` ``repeat`` times; return the seconds of each run and the last result."""
    seconds = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=240, help="240: the demo clinic")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lasting-alert-performance-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lasting.accounts.clocks import today_in
    from lasting.accounts.models import Organization
    from lasting.costs.outcomes import count_booster_proposals, summarize_boosters
    from lasting.demo import seed_demo
    from lasting.patients.models import Patient
    from lasting.risk.history import list_history_rows
    from lasting.risk.performance import find_alert_performance, refresh_alert_performance

    call_command("migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    seeded = seed_demo(
        patients=args.patients, seed=7, reset=True, logins_file=var_dir / "logins.txt"
    )
    seed_seconds = time.perf_counter() - started
    organization = Organization.objects.get(slug="clearwater")
    now = timezone.now()
    until_on = today_in(organization.time_zone)
    since_on = until_on.replace(year=until_on.year - 1)
    patients = list(Patient.objects.filter(organization=organization))

    read, _ = timed(lambda: list_history_rows(patients, now), args.repeat)
    refresh, performance = timed(
        lambda: refresh_alert_performance(organization.pk, now), args.repeat
    )
    with CaptureQueriesContext(connection) as refresh_queries:
        refresh_alert_performance(organization.pk, now)
    snapshot, _ = timed(lambda: find_alert_performance(organization.pk), 20)
    boosters, summary = timed(
        lambda: summarize_boosters(organization.pk, None, since_on, until_on), 20
    )
    with CaptureQueriesContext(connection) as booster_queries:
        summarize_boosters(organization.pk, None, since_on, until_on)
    proposals, counts = timed(
        lambda: count_booster_proposals(organization.pk, None, now.replace(year=now.year - 1), now),
        20,
    )

    def ms(seconds: list[float]) -> str:
        return (
            f"median {1000 * statistics.median(seconds):.0f} ms, max {1000 * max(seconds):.0f} ms"
        )

    print(f"## Alert performance and boosters ({connection.vendor}, {args.patients} patients)\n")
    print(f"- seeding the demo clinic: {seed_seconds:.1f} s ({seeded.summary})")
    print(f"- refresh_alert_performance over {args.repeat} runs: {ms(refresh)}")
    print(f"  - of which reading every history (list_history_rows): {ms(read)}")
    print(f"  - SQL queries per refresh: {len(refresh_queries.captured_queries)}")
    print(f"- find_alert_performance (the page's read): {ms(snapshot)}")
    print(
        f"- summarize_boosters over 12 months: {ms(boosters)}; "
        f"{len(booster_queries.captured_queries)} SQL queries"
    )
    print(f"- count_booster_proposals over 12 months: {ms(proposals)}")
    print(f"\n{performance}\n\n{summary}\n\n{counts}")


if __name__ == "__main__":
    main()
