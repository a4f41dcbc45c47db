"""Time the caseload page for a clinic of N patients (docs/benchmarks.md: 1,000 patients <= 150 ms
server time, with a query count that does not grow with the number of patients), or with
`--page patient` the patient page of the five patients with the most sessions.

The script seeds the demo clinic with N simulated patients into a throw-away SQLite
database (or the PostgreSQL database named by LASTING_DATABASE_URL), signs in as a
clinician, and times the caseload view in-process with Django's test client: the time
is the server's (middleware, queries, sort, template), without network or browser.

Run: .venv/bin/python benchmarks/caseload.py [--patients 1000] [--repeat 20] [--page patient]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from signing_in import sign_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--page", choices=["caseload", "patient"], default="caseload")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lasting-caseload-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lasting.demo import seed_demo

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    seeded = seed_demo(
        patients=args.patients, seed=7, reset=True, logins_file=var_dir / "logins.txt"
    )
    seed_seconds = time.perf_counter() - started
    line = next(line for line in seeded.login_lines if line.lstrip().startswith("Clinician"))
    username, password = line.split()[1], line.split("password:")[1].split()[0]
    client = Client()
    if not sign_in(client, username, password):
        sys.exit("could not sign in")
    pages = ["/caseload/"]
    if args.page == "patient":
        from django.db.models import Count

        from lasting.treatment.models import TreatmentSession

        busiest = (
            TreatmentSession.objects.values("patient_id")
            .annotate(n=Count("id"))
            .order_by("-n", "patient_id")
            .values_list("patient_id", flat=True)[:5]
        )
        pages = [f"/patients/{patient_id}/" for patient_id in busiest]
    for page in pages:
        client.get(page)  # warm caches and connections
    timings = []
    for _ in range(args.repeat):
        for page in pages:
            started = time.perf_counter()
            response = client.get(page)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(pages[0])
    engine = connection.vendor
    title = "Caseload page" if args.page == "caseload" else "Patient page (5 busiest patients)"
    print(f"## {title} ({engine}, {args.patients} simulated patients)\n")
    print(f"- seeding the demo clinic: {seed_seconds:.1f} s ({seeded.summary})")
    print(
        f"- server time over {len(timings)} requests: median "
        f"{statistics.median(timings):.0f} ms, max {max(timings):.0f} ms"
    )
    print(f"- SQL queries per request: {len(queries.captured_queries)}")


if __name__ == "__main__":
    main()
