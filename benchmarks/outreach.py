"""Time the hourly check-in planning and the reminder run for a clinic of N patients.

Seeds the demo clinic with N simulated patients into a throw-away SQLite database (or
the PostgreSQL database named by LASTING_DATABASE_URL), then measures, in-process:
planning from scratch (every patient's next two weeks), planning again (nothing new:
the hourly steady state), and queuing and sending every open check-in's reminder to
Django's in-memory mail backend (the cost of Lasting's own work, without a mail server).

Run: .venv/bin/python benchmarks/outreach.py [--patients 1000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lasting-outreach-"))
    os.environ.setdefault("LASTING_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lasting.accounts.models import Organization
    from lasting.checkins.models import ScheduledCheckIn
    from lasting.demo import DEMO_SLUG, seed_demo
    from lasting.outreach.models import ContactPreference
    from lasting.outreach.planning import plan_organization
    from lasting.outreach.reminders import queue_reminders, send_reminder

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    call_command("migrate", "--no-input", "-v", "0")
    seed_demo(patients=args.patients, seed=7, reset=True, logins_file=var_dir / "logins.txt")
    clinic = Organization.objects.get(slug=DEMO_SLUG)
    ScheduledCheckIn.objects.filter(organization=clinic).delete()
    # No quiet hours, so every open check-in's reminder is due whatever the hour.
    for patient_id in clinic_patient_ids(clinic):
        ContactPreference.objects.update_or_create(
            patient_id=patient_id,
            defaults={"organization": clinic, "quiet_from": "00:00", "quiet_until": "00:00"},
        )
    now = timezone.now()

    started = time.perf_counter()
    created = plan_organization(clinic.pk, now)
    first = time.perf_counter() - started
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        again = plan_organization(clinic.pk, now)
        steady = time.perf_counter() - started

    started = time.perf_counter()
    due = queue_reminders(now)
    queued = time.perf_counter() - started
    started = time.perf_counter()
    statuses = [send_reminder(pk, now) for pk in due]
    sending = time.perf_counter() - started

    print(f"## Check-in planning and reminders ({connection.vendor}, {args.patients} patients)\n")
    print(f"- planning from scratch: {first:.2f} s, {created} scheduled check-ins created")
    print(
        f"- planning again (hourly steady state): {steady:.2f} s, {again} created, "
        f"{len(queries.captured_queries)} SQL queries"
    )
    print(f"- queuing {len(due)} reminders: {queued:.2f} s")
    sent = statuses.count("sent")
    rate = len(due) / sending if sending else float("nan")
    print(f"- sending them: {sending:.2f} s ({rate:.0f} per second), {sent} sent")


def clinic_patient_ids(clinic: object) -> list[int]:
    from lasting.patients.models import Patient

    return list(Patient.objects.filter(organization=clinic).values_list("pk", flat=True))


if __name__ == "__main__":
    main()
