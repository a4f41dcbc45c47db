"""Time `lasting import` on a clinic's history (issue target: 10,000 patients with
200,000 check-ins in <= 60 s on SQLite).

The script writes patients.csv, sessions.csv and observations.csv for one organisation
in a temporary folder (a fixed seed: weekly PHQ-9s with every item, a few GAD-7s, daily
checks, item 9 >= 1 now and then, induction series and boosters), migrates a fresh SQLite
database there (or uses the database named by LASTING_DATABASE_URL), and runs the three
import commands in-process through `lasting.cli.main`, as a person would run them. It
prints the seconds (wall clock and the process's CPU time, which shared machines
disturb less) and rows per second of each file, the total, and then times the engine's
re-assessment of every imported patient, which the worker runs after the import
(`plans.tasks.reassess_patients_task`), apart from the import's total.

Run: .venv/bin/python benchmarks/import_speed.py [--patients 10000] [--checkins 200000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ZONES = ("America/New_York", "America/Denver", "America/Los_Angeles", "America/Chicago")


def write_files(folder: Path, patients: int, checkins: int, rng: random.Random) -> None:
    """patients.csv, sessions.csv (six inductions and two boosters each) and
    observations.csv (`checkins` check-ins spread over the patients)."""
    per_patient = max(1, checkins // patients)
    with (
        (folder / "patients.csv").open("w", newline="") as p_file,
        (folder / "sessions.csv").open("w", newline="") as s_file,
        (folder / "observations.csv").open("w", newline="") as o_file,
    ):
        people, sessions, observations = csv.writer(p_file), csv.writer(s_file), csv.writer(o_file)
        people.writerow(
            [
                "patient_id",
                "given_name",
                "family_name",
                "date_of_birth",
                "time_zone",
                "diagnoses",
                "started_on",
            ]
        )
        sessions.writerow(["patient_id", "session_on", "kind", "route", "dose_mg"])
        observations.writerow(
            ["patient_id", "observed_on", "instrument", "score", "item9", "items"]
        )
        written = 0
        for n in range(patients):
            number = f"MRN-{n:06d}"
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(300))
            people.writerow(
                [
                    number,
                    f"Given{n}",
                    f"Family{n}",
                    (date(1950, 1, 1) + timedelta(days=rng.randrange(20000))).isoformat(),
                    ZONES[n % len(ZONES)],
                    "trd_mdd",
                    start.isoformat(),
                ]
            )
            for k, offset in enumerate((0, 2, 4, 7, 9, 11, 60, 120)):
                kind = "induction" if k < 6 else "booster"
                sessions.writerow(
                    [number, f"{start + timedelta(days=offset)}T10:00:00", kind, "iv", "35.0"]
                )
            count = per_patient + (1 if n < checkins - per_patient * patients else 0)
            for day in range(count):
                moment = datetime.combine(start + timedelta(days=day * 2), datetime.min.time())
                when = (moment + timedelta(hours=19, minutes=rng.randrange(60))).isoformat()
                if day % 3 == 0:
                    answers = [rng.randrange(4) for _ in range(9)]
                    answers[8] = 1 if rng.random() < 0.01 else 0
                    items = ";".join(map(str, answers)) + ";"
                    observations.writerow([number, when, "phq9", sum(answers), answers[8], items])
                elif day % 7 == 1:
                    observations.writerow([number, when, "gad7", rng.randrange(22), "", ""])
                else:
                    for name in ("daily_mood", "daily_sleep", "daily_stress"):
                        observations.writerow([number, when, name, rng.randrange(11), "", ""])
                written += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=200_000)
    parser.add_argument("--skip-reassessment", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lasting-import-bench-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(folder))
    os.environ.setdefault("LASTING_AUDIT_ANCHOR_FILE", str(folder / "anchors.jsonl"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lasting.accounts.models import Organization
    from lasting.cli import main as lasting

    call_command("migrate", "--no-input", "-v", "0")
    slug = f"import-bench-{os.getpid()}"
    Organization.objects.create(name="Import benchmark", slug=slug, time_zone="America/Denver")
    write_files(folder, args.patients, args.checkins, random.Random(20261203))
    print(
        f"{connection.vendor}; {args.patients} patients, {args.checkins} check-ins; "
        f"files in {folder}"
    )
    total = total_cpu = 0.0
    for kind, name in (
        ("patients", "patients.csv"),
        ("sessions", "sessions.csv"),
        ("checkins", "observations.csv"),
    ):
        path = folder / name
        rows = sum(1 for _ in path.open()) - 1
        started, cpu_started = time.perf_counter(), time.process_time()
        code = lasting(["import", kind, str(path), "--organization", slug])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        total += seconds
        total_cpu += cpu
        if code != 0:
            raise SystemExit(f"import {kind} failed with exit code {code}")
        print(
            f"  {name}: {rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
            f"CPU {cpu:.1f} s"
        )
    print(
        f"total: {total:.1f} s, CPU {total_cpu:.1f} s (target <= 60 s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    started = time.perf_counter()
    from lasting.patients.models import Patient
    from lasting.plans.services import reassess_patients

    organization = Organization.objects.get(slug=slug)
    ids = list(Patient.objects.filter(organization=organization).values_list("pk", flat=True))
    if not args.skip_reassessment:
        assessed = reassess_patients(organization.pk, ids)
        print(
            f"the worker's re-assessment of {assessed} patients: "
            f"{time.perf_counter() - started:.1f} s (after the import, not in its total)"
        )


if __name__ == "__main__":
    main()
