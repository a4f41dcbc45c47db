"""Time patient search and the filtered caseload at N patients (issue target: 10,000
patients, <= 150 ms median server time, a query count that does not grow with N).

The script fills a throw-away SQLite database (or the PostgreSQL database named by
LASTING_DATABASE_URL) with one organisation of N patients spread over 4 locations and 12
clinicians, each with a course, three PHQ-9 totals and an engine assessment, signs in as
a clinician, and times the views in-process with Django's test client: the time is the
server's (middleware, queries, sort, template), without network or browser. It then
repeats the query count at N/10 patients to show it does not grow.

Run: .venv/bin/python benchmarks/search.py [--patients 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from signing_in import sign_in

PASSWORD = "benchmark passphrase 2026"


def seed(patients: int, rng: random.Random) -> dict[str, Any]:
    """One organisation with `patients` patients; returns the clinician and a location."""
    from django.utils import timezone

    from lasting.accounts.models import Location, Membership, Organization, Role, User
    from lasting.checkins.models import CheckIn, Instrument, Response, Source
    from lasting.patients.models import Course, Patient, Phase
    from lasting.risk.models import RiskAssessment

    organization = Organization.objects.create(
        name="Benchmark Clinic", slug=f"bench-{rng.random()}", time_zone="America/Denver"
    )
    locations = Location.objects.bulk_create(
        Location(organization=organization, name=f"Site {n}", chairs=4) for n in range(4)
    )
    clinicians = []
    for n in range(12):
        user = User.objects.create_user(
            f"bench_dr{n}_{organization.pk}", f"dr{n}.{organization.pk}@b.example", PASSWORD
        )
        Membership.objects.create(user=user, organization=organization, role=Role.CLINICIAN)
        clinicians.append(user)
    given = ["Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
    family = ["Moreno", "Smith", "Nguyen", "Garcia", "Patel", "Kim", "Lopez", "Brown", "Rossi"]
    rows = [
        Patient(
            organization=organization,
            location=locations[i % 4],
            record_number=f"B-{i:06d}",
            given_name=rng.choice(given),
            family_name=f"{rng.choice(family)}{i}",
            date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(20_000)),
            phone=f"+1303{rng.randrange(10**7):07d}",
            assigned_clinician=clinicians[i % 12],
            diagnoses=["trd_mdd"],
        )
        for i in range(patients)
    ]
    created = Patient.objects.bulk_create(rows, batch_size=2000)
    now = timezone.now()
    today = now.date()
    phases = [Phase.INDUCTION, Phase.MAINTENANCE, Phase.MAINTENANCE, Phase.EVALUATION]
    Course.objects.bulk_create(
        (
            Course(
                organization=organization,
                patient=patient,
                phase=phases[i % 4],
                started_on=today - timedelta(days=90),
            )
            for i, patient in enumerate(created)
        ),
        batch_size=2000,
    )
    checkins, responses, assessments = [], [], []
    for patient in created:
        for weeks in (6, 3, 0):
            at = now - timedelta(weeks=weeks, hours=rng.randrange(48))
            checkins.append(
                CheckIn(
                    organization=organization,
                    patient=patient,
                    source=Source.LINK,
                    submitted_at=at,
                    idempotency_key=f"{patient.pk}-{weeks}",
                )
            )
        assessments.append(
            RiskAssessment(
                organization=organization,
                patient=patient,
                assessed_on=today,
                computed_at=now,
                p_relapse_28d=rng.random() * 0.8,
            )
        )
    CheckIn.objects.bulk_create(checkins, batch_size=2000)
    for checkin in checkins:
        total = float(rng.randrange(0, 27))
        responses.append(
            Response(
                organization=organization,
                checkin=checkin,
                patient_id=checkin.patient_id,
                instrument=Instrument.PHQ9,
                instrument_version="phq9-en-1",
                answers={},
                observed_at=checkin.submitted_at,
                total=total,
                band="moderate",
                band_label="Moderate",
                valid=True,
            )
        )
    Response.objects.bulk_create(responses, batch_size=2000)
    RiskAssessment.objects.bulk_create(assessments, batch_size=2000)
    return {"clinician": clinicians[0], "location": locations[1], "organization": organization}


def median_ms(client: Any, url: str, params: dict[str, Any], repeat: int) -> tuple[float, float]:
    client.get(url, params)  # warm caches and connections
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), max(timings)


def query_count(client: Any, url: str, params: dict[str, Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return len(queries.captured_queries)


CASES = [
    ("search by name", "/patients/search/", {"q": "moreno"}),
    ("search by record number", "/patients/search/", {"q": "B-00512"}),
    ("search by date of birth", "/patients/search/", {"q": "1970-06-15"}),
    ("search by phone digits", "/patients/search/", {"q": "5550142"}),
    ("caseload, one location", "/caseload/", {"location": "LOCATION"}),
    ("caseload, one location, high risk", "/caseload/", {"location": "LOCATION", "risk": "high"}),
    ("caseload, maintenance phase", "/caseload/", {"phase": "maintenance"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients in the clinic")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per case")
    parser.add_argument("--seed", type=int, default=3, help="random seed of the names")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lasting-search-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", "--no-input", "-v", "0")
    rng = random.Random(args.seed)
    counts = {}
    for size in (args.patients // 10, args.patients):
        started = time.perf_counter()
        world = seed(size, rng)
        seconds = time.perf_counter() - started
        client = Client()
        assert sign_in(client, world["clinician"].username, PASSWORD)
        cases = [
            (name, url, {k: (world["location"].pk if v == "LOCATION" else v) for k, v in p.items()})
            for name, url, p in CASES
        ]
        counts[size] = [query_count(client, url, params) for _, url, params in cases]
        if size != args.patients:
            continue
        print(f"## Search and filtered caseload ({connection.vendor}, {size:,} patients)\n")
        print(f"- seeding: {seconds:.1f} s (3 PHQ-9 and one assessment per patient)")
        print("\n| Request | Median | Max | SQL queries |")
        print("|---|---|---|---|")
        for (name, url, params), count in zip(cases, counts[size], strict=True):
            median, worst = median_ms(client, url, params, args.repeat)
            print(f"| {name} | {median:.0f} ms | {worst:.0f} ms | {count} |")
    small, large = counts[args.patients // 10], counts[args.patients]
    same = "the same" if small == large else "NOT the same"
    sizes = f"{args.patients // 10:,} and {args.patients:,}"
    print(f"\nQuery counts at {sizes} patients are {same}: {small} / {large}")


if __name__ == "__main__":
    main()
