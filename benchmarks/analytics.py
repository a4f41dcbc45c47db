"""Time the clinic analytics page for a clinic of N patients and Y years of history
(docs/benchmarks.md, "Clinic analytics at 10,000 patients": target <= 1 s server time).

What is seeded, into a throw-away SQLite database (or the PostgreSQL database named by
LASTING_DATABASE_URL):

- one organisation with 3 locations, 5 clinicians and a nurse;
- N patients from the core simulator (`simulate_cohort`, real-world preset, enrolment
  spread over the Y years, boosters fixed 45 % / by symptoms 40 % / none 15 %), each
  with one course, its induction, booster and maintenance sessions (no vital signs) and
  every check-in the simulator answered (PHQ-9, GAD-7, the daily check), stored with
  the demo's own check-in writer (`lasting.demo.history.store_observations`);
- the outcome rows, by the real hourly job `refresh_outcomes` over those records (timed).

Then, signed in as a clinician, the page `/outcomes/` is timed in-process with Django's
test client (server time: middleware, queries, statistics, template; no network): cold
(cache emptied before each request) and warm (the cached report), median of several
requests, and the SQL queries of a cold request.

Run: .venv/bin/python benchmarks/analytics.py [--patients 10000] [--years 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from signing_in import sign_in

BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lasting-analytics-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lasting.outcomes.models import CourseOutcome, OutcomeEpisode
    from lasting.outcomes.queries import warm_report_cache
    from lasting.outcomes.services import refresh_outcomes

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    organization, username, password, counts = seed_clinic(args.patients, args.years, args.seed)
    seed_seconds = time.perf_counter() - started

    started = time.perf_counter()
    refresh_outcomes(organization.pk)
    refresh_seconds = time.perf_counter() - started
    episodes = OutcomeEpisode.objects.filter(organization=organization).count()
    courses = CourseOutcome.objects.filter(organization=organization).count()

    started = time.perf_counter()
    warm_report_cache(organization.pk)  # what the hourly job does after the refresh
    precompute_seconds = time.perf_counter() - started

    client = Client()
    if not sign_in(client, username, password):
        sys.exit("could not sign in")
    started = time.perf_counter()
    first = client.get("/outcomes/")
    first_ms = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, first.status_code

    def timed(clear: bool) -> float:
        if clear:
            cache.clear()
        started = time.perf_counter()
        response = client.get("/outcomes/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed

    timed(True)  # connections, templates and imports
    cold = [timed(True) for _ in range(args.repeat)]
    warm = [timed(False) for _ in range(args.repeat * 4)]
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/outcomes/")
    engine = connection.vendor
    print(f"## Clinic analytics ({engine}, {args.patients:,} patients, {args.years} years)\n")
    print(f"- seeding: {seed_seconds:.0f} s ({counts})")
    print(
        f"- refresh_outcomes for {args.patients:,} patients: {refresh_seconds:.1f} s "
        f"({episodes:,} episodes, {courses:,} courses stored)"
    )
    print(
        f"- the job's precompute of the unfiltered report: {precompute_seconds:.1f} s; "
        f"the first reader after it (shared database cache): {first_ms:.0f} ms"
    )
    print(
        f"- /outcomes/ cold (no cache: a filter set never asked for), {len(cold)} requests, median "
        f"{statistics.median(cold):.0f} ms, max {max(cold):.0f} ms"
    )
    print(
        f"- /outcomes/ cached (the database cache), {len(warm)} requests: median "
        f"{statistics.median(warm):.0f} ms, max {max(warm):.0f} ms"
    )
    print(f"- SQL queries per cold request: {len(queries.captured_queries)}")


def seed_clinic(patients: int, years: int, seed: int) -> tuple[Any, str, str, str]:
    """Seed the clinic (module docstring); return it, a clinician's sign-in and counts."""
    from zoneinfo import ZoneInfo

    import numpy as np
    from django.utils import timezone

    from lasting.accounts.models import Location, Membership, Organization, Role, User
    from lasting.demo.history import at_local, store_observations
    from lasting.patients.models import Course, Patient, Phase
    from lasting.treatment.models import Route, TreatmentSession
    from lasting_core.simulation import MaintenancePolicy, simulate_cohort

    password = "benchmark-password-1"
    organization = Organization.objects.create(
        name="Benchmark clinic", slug="benchmark", time_zone="America/Denver"
    )
    locations = [
        Location.objects.create(organization=organization, name=name, time_zone="America/Denver")
        for name in ("Boulder", "Denver", "Golden")
    ]
    clinicians = []
    for index in range(5):
        user = User.objects.create_user(
            username=f"clinician{index}", email=f"clinician{index}@example.org", password=password
        )
        Membership.objects.create(user=user, organization=organization, role=Role.CLINICIAN)
        clinicians.append(user)
    days = 365 * years
    zone = ZoneInfo("America/Denver")
    today = timezone.localdate(timezone=zone)
    day_zero = today - timedelta(days=days - 1)
    rng = np.random.default_rng(seed)
    totals = {"patients": 0, "sessions": 0, "check-ins": 0}
    for batch, first in enumerate(range(0, patients, BATCH)):
        size = min(BATCH, patients - first)
        cohort = simulate_cohort(
            size,
            days,
            preset="real-world",
            seed=seed + batch,
            policy_mix={
                MaintenancePolicy.FIXED: 0.45,
                MaintenancePolicy.SYMPTOM: 0.4,
                MaintenancePolicy.NONE: 0.15,
            },
        )
        simulated = [p for p in cohort.patients if p.observations or p.sessions]
        rows = Patient.objects.bulk_create(
            Patient(
                organization=organization,
                location=locations[(first + p.index) % 3],
                record_number=f"B-{first + p.index}",
                given_name="Bench",
                family_name=f"Patient{first + p.index}",
                date_of_birth=today - timedelta(days=40 * 365),
                time_zone="America/Denver",
                assigned_clinician=clinicians[(first + p.index) % 5],
                diagnoses=[p.diagnosis],
                concurrent_antidepressant=p.antidepressant,
                in_therapy=p.therapy,
            )
            for p in simulated
        )
        courses = Course.objects.bulk_create(
            Course(
                organization=organization,
                patient=patient,
                number=1,
                phase=Phase.MAINTENANCE,
                started_on=day_zero + timedelta(days=p.enrolment_day),
            )
            for patient, p in zip(rows, simulated, strict=True)
        )
        sessions = [
            TreatmentSession(
                organization=organization,
                patient=patient,
                course=course,
                location=patient.location,
                kind=str(s.kind),
                route=Route.IV,
                dose_mg=40,
                dose_mg_per_kg=0.5,
                started_at=at_local(day_zero + timedelta(days=s.day), 10, zone),
            )
            for patient, course, p in zip(rows, courses, simulated, strict=True)
            for s in p.sessions
        ]
        TreatmentSession.objects.bulk_create(sessions, batch_size=2000)
        for patient, p in zip(rows, simulated, strict=True):
            checkins, _ = store_observations(patient, p.observations, rng, day_zero, zone, today)
            totals["check-ins"] += checkins
        totals["patients"] += len(rows)
        totals["sessions"] += len(sessions)
        print(f"seeded {first + size:,} of {patients:,} patients", file=sys.stderr)
    counts = ", ".join(f"{value:,} {key}" for key, value in totals.items())
    return organization, "clinician0", password, counts


if __name__ == "__main__":
    main()
