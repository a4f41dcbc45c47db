"""Reminders: one per open check-in, at a decent hour, in the patient's language, never
twice, with every attempt in the delivery log (docs/clinical.md#check-ins-and-reminders).

Personas: Paul (New York, English) and Sofía (Madrid, Spanish) are in maintenance at
Clinic A; their weekly check-ins are open now.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from lasting.checkins.models import CheckInLink, ScheduledCheckIn
from lasting.outreach.channels import NotDelivered, OutgoingMessage
from lasting.outreach.models import (
    Channel,
    ContactPreference,
    DeliveryAttempt,
    Reminder,
    ReminderStatus,
)
from lasting.outreach.reminders import (
    FIRST_RETRY,
    LEASE,
    MAX_ATTEMPTS,
    queue_reminders,
    send_reminder,
)
from tests.factories import make_crisis_resource, make_patient
from tests.smtp import no_smtp_server, smtp_server

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
CLINICAL_WORDS = re.compile(
    r"ketamine|esketamine|depress|phq|gad|anxiety|ptsd|suicid|score|symptom|relapse|mental",
    re.IGNORECASE,
)


def local(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


NOON = local("2026-03-10T12:00")


@pytest.fixture(autouse=True)
def at_noon():
    """The clock reads NOON, so links in the messages open (they expire days later)."""
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def ketamine_clinic(personas):
    """Clinic A under a name with a clinical word in it, which no message may carry."""
    clinic = personas.clinic
    clinic.name = "Clear Ketamine Clinic"
    clinic.save()
    return clinic


@pytest.fixture
def paul(personas, ketamine_clinic):
    """The personas' Paul, in New York, with an e-mail address."""
    paul = personas.paul
    paul.time_zone = "America/New_York"
    paul.email = "paul@example.org"
    paul.save()
    return paul


def open_checkin(patient, opens_at: datetime = NOON - timedelta(hours=4)) -> ScheduledCheckIn:
    return ScheduledCheckIn.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        key=f"maintenance:{opens_at.date()}",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=opens_at.date(),
        opens_at=opens_at,
        expires_at=opens_at + timedelta(days=3),
    )


def queue_and_send(now: datetime = NOON, **kwargs) -> list[str]:
    return [send_reminder(pk, now, **kwargs) for pk in queue_reminders(now)]


def test_an_open_checkin_gets_one_email_with_a_working_link(paul, client):
    scheduled = open_checkin(paul)
    assert queue_and_send() == ["sent"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["paul@example.org"]
    url = re.search(r"https?://\S+", message.body)
    assert url is not None
    response = client.get(re.sub(r"^https?://[^/]+", "", url.group()))
    assert response.status_code == 200
    assert "PHQ-9" in response.text or "little interest" in response.text
    scheduled.refresh_from_db()
    assert scheduled.link is not None
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.sent_at) == ("sent", 1, NOON)
    log = list(DeliveryAttempt.objects.values_list("outcome", flat=True))
    assert log == ["sent"]


def test_no_clinical_content_in_the_subject_or_the_preview(paul):
    open_checkin(paul)
    queue_and_send()
    message = mail.outbox[0]
    preview = message.body[:200]
    assert not CLINICAL_WORDS.search(message.subject)
    assert not CLINICAL_WORDS.search(preview)
    assert "Ketamine" not in message.from_email  # the clinic's name stays out of the sender


def test_queuing_and_sending_twice_sends_once(paul):
    open_checkin(paul)
    assert queue_and_send() == ["sent"]
    assert queue_and_send() == []
    reminder = Reminder.objects.get()
    assert send_reminder(reminder.pk, NOON) == "sent"  # a duplicate job delivery
    assert len(mail.outbox) == 1
    assert Reminder.objects.count() == 1


def test_an_answered_checkin_is_not_reminded(paul):
    from tests.factories import make_phq9

    scheduled = open_checkin(paul)
    make_phq9(paul, 3)
    scheduled.refresh_from_db()
    assert scheduled.answered
    assert queue_and_send() == []
    assert mail.outbox == []


def test_a_checkin_answered_after_queuing_is_skipped_at_sending(paul):
    scheduled = open_checkin(paul)
    due = queue_reminders(NOON)
    scheduled.answered_by = None
    ScheduledCheckIn.objects.filter(pk=scheduled.pk).update(expires_at=NOON)  # now closed
    assert [send_reminder(pk, NOON) for pk in due] == ["skipped"]
    assert mail.outbox == []
    assert DeliveryAttempt.objects.get().detail == "check-in no longer open"


def test_quiet_hours_hold_a_reminder_until_they_end(paul, ketamine_clinic):
    ContactPreference.objects.create(
        organization=ketamine_clinic, patient=paul, quiet_from=time(7, 0), quiet_until=time(9, 0)
    )
    open_checkin(paul, opens_at=local("2026-03-10T08:00"))
    assert queue_and_send(local("2026-03-10T08:05")) == []
    reminder = Reminder.objects.get()
    assert reminder.send_after == local("2026-03-10T09:00")
    assert queue_and_send(local("2026-03-10T09:00")) == ["sent"]


def test_the_default_quiet_hours_keep_the_night_free(paul):
    open_checkin(paul, opens_at=local("2026-03-10T22:30"))
    assert queue_and_send(local("2026-03-10T22:31")) == []
    assert Reminder.objects.get().send_after == local("2026-03-11T08:00")


@pytest.mark.parametrize(
    ("preference", "detail"),
    [
        ({"opted_out": True}, "opted out of reminders"),
        ({"paused_until": date(2026, 3, 20)}, "reminders paused"),
        ({"channel": Channel.SMS}, "no text-message provider configured"),
    ],
)
def test_opted_out_paused_or_unreachable_patients_get_a_log_entry_not_a_message(
    paul, ketamine_clinic, preference, detail
):
    ContactPreference.objects.create(organization=ketamine_clinic, patient=paul, **preference)
    open_checkin(paul)
    assert queue_and_send() == []
    assert mail.outbox == []
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.SKIPPED
    entry = DeliveryAttempt.objects.get()
    assert (entry.outcome, entry.detail) == ("skipped", detail)


def test_a_pause_that_has_ended_lets_reminders_through(paul, ketamine_clinic):
    ContactPreference.objects.create(
        organization=ketamine_clinic, patient=paul, paused_until=date(2026, 3, 9)
    )
    open_checkin(paul)
    assert queue_and_send() == ["sent"]


def test_text_messages_go_to_the_sms_backend(paul, ketamine_clinic, capsys, settings):
    settings.SMS_BACKEND = "console"
    paul.phone = "+1 555 0100"
    paul.save(update_fields=["phone"])
    ContactPreference.objects.create(
        organization=ketamine_clinic, patient=paul, channel=Channel.SMS
    )
    open_checkin(paul)
    assert queue_and_send() == ["sent"]
    printed = capsys.readouterr().out
    assert "SMS to +1 555 0100: Your check-in is ready: http" in printed
    assert not CLINICAL_WORDS.search(printed)
    assert mail.outbox == []


def test_a_spanish_speaking_patient_gets_the_reminder_in_spanish(ketamine_clinic):
    madrid = ZoneInfo("Europe/Madrid")
    sofia = make_patient(
        ketamine_clinic,
        time_zone="Europe/Madrid",
        preferred_language="es",
        email="sofia@example.org",
    )
    open_checkin(sofia, opens_at=local("2026-03-10T08:00", madrid))
    assert queue_and_send(local("2026-03-10T10:00", madrid)) == ["sent"]
    message = mail.outbox[0]
    assert message.subject == "Un mensaje de su equipo de atención"
    assert "Su cuestionario de seguimiento está listo" in message.body
    assert "13 de marzo de 2026" in message.body  # the expiry, in her time zone and language


class FailingTransport:
    """Fails before the hand-over `failures` times, then delivers."""

    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.delivered: list[OutgoingMessage] = []

    def send(self, message, handing_over) -> None:
        if self.failures:
            self.failures -= 1
            raise NotDelivered("SMTP 421 on RCPT", permanent=self.permanent)
        handing_over()
        self.delivered.append(message)


def test_a_failure_is_retried_with_exponential_backoff(paul):
    open_checkin(paul)
    transport = FailingTransport(failures=2)
    reminder_id = queue_reminders(NOON)[0]
    assert send_reminder(reminder_id, NOON, transport=transport) == "pending"
    reminder = Reminder.objects.get()
    assert reminder.send_after == NOON + FIRST_RETRY
    assert send_reminder(reminder_id, NOON + FIRST_RETRY / 2, transport=transport) == "pending"
    assert transport.failures == 1  # not yet due: no attempt made
    second = NOON + FIRST_RETRY
    assert send_reminder(reminder_id, second, transport=transport) == "pending"
    reminder.refresh_from_db()
    assert reminder.send_after == second + 2 * FIRST_RETRY
    assert send_reminder(reminder_id, second + 2 * FIRST_RETRY, transport=transport) == "sent"
    assert len(transport.delivered) == 1
    outcomes = list(DeliveryAttempt.objects.values_list("outcome", "detail"))
    assert outcomes == [
        ("retry", "SMTP 421 on RCPT"),
        ("retry", "SMTP 421 on RCPT"),
        ("sent", ""),
    ]


def test_retries_stop_after_the_last_attempt(paul):
    open_checkin(paul)
    transport = FailingTransport(failures=99)
    reminder_id = queue_reminders(NOON)[0]
    now = NOON
    for _ in range(MAX_ATTEMPTS):
        status = send_reminder(reminder_id, now, transport=transport)
        now += timedelta(hours=1)
    assert status == "failed"
    assert Reminder.objects.get().attempts == MAX_ATTEMPTS
    assert send_reminder(reminder_id, now, transport=transport) == "failed"
    assert transport.delivered == []


def test_a_permanent_refusal_is_not_retried(paul):
    open_checkin(paul)
    reminder_id = queue_reminders(NOON)[0]
    transport = FailingTransport(failures=1, permanent=True)
    assert send_reminder(reminder_id, NOON, transport=transport) == "failed"
    assert send_reminder(reminder_id, NOON + timedelta(hours=1), transport=transport) == "failed"
    assert transport.delivered == []


class Killed(BaseException):
    """Stands for the worker process being killed at this point."""


class KilledTransport:
    def __init__(self, *, after_hand_over: bool) -> None:
        self.after_hand_over = after_hand_over

    def send(self, message, handing_over) -> None:
        if self.after_hand_over:
            handing_over()
        raise Killed


def test_a_worker_killed_before_the_hand_over_is_replaced_after_its_lease(paul):
    open_checkin(paul)
    reminder_id = queue_reminders(NOON)[0]
    with pytest.raises(Killed):
        send_reminder(reminder_id, NOON, transport=KilledTransport(after_hand_over=False))
    assert Reminder.objects.get().status == ReminderStatus.SENDING
    # Delivered again by the queue while the lease holds: left alone.
    assert send_reminder(reminder_id, NOON + LEASE / 2) == "sending"
    assert mail.outbox == []
    # After the lease, the periodic job finds it and a new worker sends it, once.
    later = NOON + LEASE
    assert queue_and_send(later) == ["sent"]
    assert queue_and_send(later + LEASE) == []
    assert len(mail.outbox) == 1


def test_a_worker_killed_after_the_hand_over_is_never_sent_again(paul):
    open_checkin(paul)
    reminder_id = queue_reminders(NOON)[0]
    with pytest.raises(Killed):
        send_reminder(reminder_id, NOON, transport=KilledTransport(after_hand_over=True))
    assert Reminder.objects.get().status == ReminderStatus.HANDED_OVER
    assert queue_and_send(NOON + LEASE) == ["unknown"]
    assert queue_and_send(NOON + 2 * LEASE) == []
    assert mail.outbox == []
    entry = DeliveryAttempt.objects.get()
    assert (entry.outcome, entry.detail) == ("unknown", "the worker stopped after handing over")


def test_the_delivery_log_holds_no_message_text_or_address(paul):
    open_checkin(paul)
    queue_and_send(transport=FailingTransport(failures=1))
    details = " ".join(DeliveryAttempt.objects.values_list("detail", flat=True))
    assert "paul" not in details.lower()
    assert "http" not in details


# --- over a real SMTP connection (aiosmtpd on 127.0.0.1) -------------------------------


def test_a_reminder_goes_over_real_smtp(paul):
    open_checkin(paul)
    with smtp_server() as mailbox:
        assert queue_and_send() == ["sent"]
    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received["To"] == "paul@example.org"
    assert received["Subject"] == "A message from your care team"
    assert "/c/" in received.get_payload(decode=True).decode()


def test_an_address_the_server_refuses_fails_without_retries(paul):
    open_checkin(paul)
    with smtp_server() as mailbox:
        mailbox.refuse.add("paul@example.org")
        assert queue_and_send() == ["failed"]
        assert queue_and_send(NOON + timedelta(hours=1)) == []
    assert mailbox.messages == []
    assert DeliveryAttempt.objects.get().detail == "SMTP 550 on RCPT"


def test_a_server_that_is_down_means_a_retry_then_delivery(paul):
    open_checkin(paul)
    with no_smtp_server():
        assert queue_and_send() == ["pending"]
    assert DeliveryAttempt.objects.get().detail.startswith("could not connect")
    with smtp_server() as mailbox:
        assert queue_and_send(NOON + FIRST_RETRY) == ["sent"]
    assert len(mailbox.messages) == 1


def test_the_link_is_the_same_across_retries(paul):
    open_checkin(paul)
    with no_smtp_server():
        queue_and_send()
    with smtp_server() as mailbox:
        queue_and_send(NOON + FIRST_RETRY)
    assert CheckInLink.objects.count() == 1
    assert len(mailbox.messages) == 1


def test_a_patient_without_a_phone_gets_no_text_message(paul, ketamine_clinic, settings):
    settings.SMS_BACKEND = "console"
    ContactPreference.objects.create(
        organization=ketamine_clinic, patient=paul, channel=Channel.SMS
    )
    open_checkin(paul)
    assert queue_and_send() == []
    assert DeliveryAttempt.objects.get().detail == "no phone number"


def test_an_opt_out_after_queuing_stops_the_reminder(paul, ketamine_clinic):
    """Queued at night, held for the morning; the patient opts out in between."""
    open_checkin(paul, opens_at=local("2026-03-10T22:30"))
    assert queue_and_send(local("2026-03-10T22:31")) == []
    ContactPreference.objects.create(organization=ketamine_clinic, patient=paul, opted_out=True)
    assert queue_and_send(local("2026-03-11T08:01")) == ["skipped"]
    assert mail.outbox == []
    entry = DeliveryAttempt.objects.get()
    assert (entry.outcome, entry.detail) == ("skipped", "opted out of reminders")


class StallingTransport:
    """A worker that stalls past its lease: meanwhile another worker takes the reminder
    over and sends it; then this one tries to go on."""

    def __init__(self, reminder_id: int, later: datetime) -> None:
        self.reminder_id = reminder_id
        self.later = later
        self.delivered: list[OutgoingMessage] = []

    def send(self, message, handing_over) -> None:
        assert send_reminder(self.reminder_id, self.later) == "sent"  # the other worker
        handing_over()
        self.delivered.append(message)


def test_a_worker_that_lost_its_lease_does_not_send_again(paul):
    open_checkin(paul)
    reminder_id = queue_reminders(NOON)[0]
    stalling = StallingTransport(reminder_id, NOON + LEASE + timedelta(minutes=1))
    assert send_reminder(reminder_id, NOON, transport=stalling) == "sent"
    assert stalling.delivered == []
    assert len(mail.outbox) == 1  # the other worker's, once
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == ("sent", 2)


def test_a_server_without_tls_gets_nothing_when_smtp_promises_tls(paul):
    """smtp:// means STARTTLS; a server (or an attacker) that offers none gets no message."""
    open_checkin(paul)
    with smtp_server() as mailbox, override_settings(EMAIL_USE_TLS=True):
        assert queue_and_send() == ["failed"]
    assert mailbox.messages == []
    assert DeliveryAttempt.objects.get().detail == "the mail server offers no TLS"


def test_the_reminder_names_the_organisations_own_crisis_line(ketamine_clinic):
    make_crisis_resource(
        ketamine_clinic,
        language="es",
        name="Línea 024 de atención a la conducta suicida",
        phone="024",
        instructions="Llame al 024, a cualquier hora.",
    )
    madrid = ZoneInfo("Europe/Madrid")
    sofia = make_patient(
        ketamine_clinic,
        time_zone="Europe/Madrid",
        preferred_language="es",
        email="sofia@example.org",
    )
    open_checkin(sofia, opens_at=local("2026-03-10T08:00", madrid))
    queue_and_send(local("2026-03-10T10:00", madrid))
    body = mail.outbox[0].body
    assert "Si necesita ayuda ahora: Línea 024 de atención a la conducta suicida." in body
    assert "Llame al 024, a cualquier hora." in body
    assert not re.search(r"\b(988|911)\b", re.sub(r"https?://\S+", "", body))
    assert (
        "Servicios de emergencia: si está en peligro inmediato, llame al número de "
        "emergencias de su zona." in body
    )


def test_the_reminder_names_988_and_911_on_separate_labelled_lines(paul):
    open_checkin(paul)
    queue_and_send()
    body = mail.outbox[0].body
    help_line = next(line for line in body.splitlines() if line.startswith("If you need help"))
    emergency = next(line for line in body.splitlines() if line.startswith("Emergency services"))
    assert help_line == (
        "If you need help now: 988 Suicide & Crisis Lifeline. "
        "Call or text 988, any time, day or night."
    )
    assert emergency == "Emergency services: if you are in immediate danger, call 911."


def test_a_reminder_whose_workers_keep_dying_gives_up(paul):
    open_checkin(paul)
    reminder_id = queue_reminders(NOON)[0]
    now = NOON
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(Killed):
            send_reminder(reminder_id, now, transport=KilledTransport(after_hand_over=False))
        now += LEASE
    assert send_reminder(reminder_id, now) == "failed"
    assert mail.outbox == []
    assert DeliveryAttempt.objects.last().detail == "workers kept stopping while sending"
