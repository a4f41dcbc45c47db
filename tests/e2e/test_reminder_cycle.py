"""The whole check-in cycle with the real worker, a real SMTP server and a real browser:
schedule → reminder e-mail → link → check-in → the next due check-in
(docs/clinical.md#check-ins-and-reminders).

Paul is in maintenance; his weekly check-in opened yesterday at 08:00 his time. The
scheduler enqueues the planning and reminder jobs, the database worker runs them, the
reminder goes over SMTP to a server on 127.0.0.1, Paul opens the link from the e-mail
in Chromium and answers, and the next week's check-in is waiting with its own reminder.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from lasting.checkins.models import CheckIn, ScheduledCheckIn
from lasting.outreach.models import ContactPreference, Reminder, ReminderStatus
from lasting.outreach.reminders import queue_reminders, send_reminder
from lasting.patients.models import Phase
from lasting.periodic import run_scheduler
from lasting.treatment.models import SessionKind
from tests.e2e.shots import save
from tests.factories import make_organization, make_patient, make_session
from tests.smtp import smtp_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("America/Chicago")


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_schedule_reminder_link_checkin_and_the_next_due_checkin(live_server, browser, artifacts):
    clinic = make_organization(name="Prairie Test Clinic")
    paul = make_patient(
        clinic, given_name="Paul", time_zone="America/Chicago", email="paul@example.org"
    )
    # Maintenance began 8 local days ago, so week 1's check-in opened yesterday at 08:00
    # and stays open until the day after tomorrow, whatever the hour now.
    today = timezone.now().astimezone(ZONE).date()
    for days_ago in (30, 28, 26, 23, 21, 19):
        make_session(paul, started_at=timezone.now() - timedelta(days=days_ago))
    make_session(
        paul,
        kind=SessionKind.BOOSTER,
        started_at=timezone.make_aware(
            timezone.datetime.combine(today - timedelta(days=8), time(10, 0)), ZONE
        ),
    )
    paul.courses.update(phase=Phase.MAINTENANCE)
    # No quiet hours, so the test does not depend on the hour it runs at.
    ContactPreference.objects.create(
        organization=clinic, patient=paul, quiet_from=time(0, 0), quiet_until=time(0, 0)
    )

    with smtp_server() as mailbox, override_settings(SITE_URL=live_server.url):
        # 1. The scheduler enqueues planning; the worker plans the check-ins.
        run_scheduler(once=True)
        run_worker()
        due = list(ScheduledCheckIn.objects.filter(patient=paul).order_by("opens_at"))
        assert [row.due_on for row in due] == [
            today - timedelta(days=1),
            today + timedelta(days=6),
            today + timedelta(days=13),
        ]
        this_week, next_week, _ = due

        # 2. The next pass enqueues the reminder of the open check-in; it goes over SMTP.
        run_scheduler(once=True)
        run_worker()
        run_scheduler(once=True)
        run_worker()
        assert len(mailbox.messages) == 1
        message = mailbox.messages[0]
        assert message["To"] == "paul@example.org"
        assert message["Subject"] == "A message from your care team"
        body = message.get_payload(decode=True).decode()
        url = re.search(r"http://\S+/c/\S+/", body)
        assert url is not None

        # 3. Paul opens the link from the e-mail and answers, in a real browser.
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(url.group())
        for item in range(1, 10):
            page.check(f"input[name=phq9__q{item}][value='0']")
        for item in range(1, 8):
            page.check(f"input[name=gad7__q{item}][value='1']")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Thank you")
        # The patient is told when the next one opens (next week's, on their clock).
        assert "Your next check-in opens on" in page.inner_text("#next-checkin")
        save(page, artifacts / "reminder-cycle-done.png", full_page=True)

        # 4. The check-in answered this week's schedule; the next one is due in 6 days.
        this_week.refresh_from_db()
        assert this_week.answered_by == CheckIn.objects.get(patient=paul)
        assert not next_week.answered
        assert Reminder.objects.get().status == ReminderStatus.SENT

        # 5. When next week's window opens, its reminder goes out: the cycle goes on.
        opened = next_week.opens_at
        due_reminders = queue_reminders(opened)
        assert [send_reminder(pk, opened) for pk in due_reminders] == ["sent"]
        assert len(mailbox.messages) == 2
        assert mailbox.messages[1]["To"] == "paul@example.org"
