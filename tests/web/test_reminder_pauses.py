"""A pause in reminders is a known reason for silence: check-ins due in it are excused.

Personas: Paul is in maintenance at Clinic A (New York), weekly check-ins open Mondays at
08:00 his time; his last PHQ-9 was on Tuesday 3 March 2026. Clocks are the patient's
(New York) unless named otherwise.
"""

from __future__ import annotations

from datetime import UTC, date

import pytest
import time_machine
from django.urls import reverse

from lasting.alerts.models import Alert, AlertKind
from lasting.checkins.models import Excuse, ScheduledCheckIn
from lasting.outreach.models import ContactPreference
from lasting.outreach.pauses import apply_pauses
from lasting.outreach.planning import plan_organization
from lasting.risk.history import list_missed_checkins
from lasting.risk.services import assess_one
from lasting_core.daynumbers import day_number
from tests.factories import make_phq9, sign_in
from tests.web.test_outreach_planning import NEW_YORK, in_maintenance, local

pytestmark = pytest.mark.django_db


def excused_keys(patient) -> list[str]:
    return sorted(
        ScheduledCheckIn.objects.filter(patient=patient, excused=Excuse.PAUSE).values_list(
            "key", flat=True
        )
    )


def pause(patient, until: date | None) -> None:
    ContactPreference.objects.update_or_create(
        patient=patient,
        defaults={"organization_id": patient.organization_id, "paused_until": until},
    )


def test_checkins_planned_inside_a_pause_are_excused_and_earlier_ones_are_not(clinic):
    paul = in_maintenance(clinic)
    pause(paul, date(2026, 3, 20))  # set on Tuesday 10 March
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    # Due Monday 9 March: before the pause began, still counts if missed.
    # Due 16 March: inside it. Due 23 March: after it.
    assert excused_keys(paul) == ["maintenance:2026-03-16"]


@pytest.mark.parametrize(
    ("paused_until", "missed", "alerted"), [(None, 3, True), (date(2026, 3, 27), 1, False)]
)
def test_silence_during_a_pause_is_not_disengagement(clinic, paused_until, missed, alerted):
    paul = in_maintenance(clinic)
    make_phq9(paul, 4, submitted_at=local("2026-03-03T10:00"))
    pause(paul, paused_until)
    for now in ("2026-03-10T11:00", "2026-03-17T11:00", "2026-03-24T11:00"):
        plan_organization(clinic.pk, now=local(now))
    assessment = assess_one(paul, now=local("2026-03-26T09:00"))
    # Three check-ins have expired unanswered (due 9, 16 and 23 March); a pause set on
    # 10 March until the 27th excuses the last two.
    assert assessment.missed_checkins == missed
    assert Alert.objects.filter(patient=paul, kind=AlertKind.DISENGAGEMENT).exists() is alerted


def test_missed_checkins_count_again_once_the_pause_is_over(clinic):
    paul = in_maintenance(clinic)
    make_phq9(paul, 4, submitted_at=local("2026-03-03T10:00"))
    pause(paul, date(2026, 3, 27))
    for day in range(10, 32, 7):
        plan_organization(clinic.pk, now=local(f"2026-03-{day}T11:00"))
    plan_organization(clinic.pk, now=local("2026-04-07T11:00"))
    # After the pause: due 30 March and 6 April, both expired unanswered by 9 April (the
    # one due 9 March has left the four weeks the engine reads).
    assessment = assess_one(paul, now=local("2026-04-09T09:00"))
    assert assessment.missed_checkins == 2
    assert Alert.objects.filter(patient=paul, kind=AlertKind.DISENGAGEMENT).exists()


def test_the_engine_reads_excused_checkins_as_not_missed(clinic):
    paul = in_maintenance(clinic)
    pause(paul, date(2026, 3, 20))
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    now = local("2026-03-24T11:00")
    missed = list_missed_checkins({paul.pk: NEW_YORK}, now)
    # Only the check-in due 9 March (expired 12 March at 08:00) is missed.
    assert missed == {paul.pk: (day_number(local("2026-03-12T08:00")),)}


def test_a_shortened_pause_unexcuses_the_checkins_it_no_longer_covers(clinic):
    paul = in_maintenance(clinic)
    pause(paul, date(2026, 3, 27))
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    plan_organization(clinic.pk, now=local("2026-03-17T11:00"))
    assert excused_keys(paul) == ["maintenance:2026-03-16", "maintenance:2026-03-23"]
    # On 20 March the patient is back early: the pause now ends on the 20th.
    pause(paul, date(2026, 3, 20))
    assert apply_pauses([paul.pk], local("2026-03-20T12:00")) == 1
    # The 16 March check-in fell due inside the pause as it was: it stays excused.
    assert excused_keys(paul) == ["maintenance:2026-03-16"]
    pause(paul, None)
    assert apply_pauses([paul.pk], local("2026-03-20T12:00")) == 0
    assert excused_keys(paul) == ["maintenance:2026-03-16"]


def test_pausing_on_the_schedule_page_excuses_at_once_and_the_page_says_so(client, clinic):
    paul = in_maintenance(clinic)
    with time_machine.travel(local("2026-03-10T11:00").astimezone(UTC), tick=False):
        plan_organization(clinic.pk)
        sign_in(client, "rn_cara")
        response = client.post(
            f"/patients/{paul.pk}/check-ins/",
            {
                "channel": "email",
                "paused_until": "2026-03-20",
                "quiet_from": "21:00",
                "quiet_until": "08:00",
            },
        )
        assert response.status_code == 302
        assert excused_keys(paul) == ["maintenance:2026-03-16"]
    with time_machine.travel(local("2026-03-19T09:00").astimezone(UTC), tick=False):
        sign_in(client, "rn_cara")  # nine days on: a new working session
        page = client.get(f"/patients/{paul.pk}/check-ins/").text
    row = page.split("Mon 16 Mar", 1)[1].split("</tr>", 1)[0]
    assert "Excused" in row
    assert "reminders paused" in row
    assert "are excused, not missed" in page


def test_another_patients_pause_excuses_nothing_of_pauls(clinic, personas):
    paul = in_maintenance(clinic)
    other = in_maintenance(clinic)
    pause(other, date(2026, 3, 31))
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    assert excused_keys(paul) == []
    assert excused_keys(other) == ["maintenance:2026-03-16", "maintenance:2026-03-23"]


def test_the_not_checked_in_list_shows_a_running_pause_and_not_an_ended_one(client, clinic):
    away = in_maintenance(clinic, family_name="Away")
    ended = in_maintenance(clinic, family_name="Ended")
    pause(away, date(2026, 3, 27))
    pause(ended, date(2026, 3, 9))
    with time_machine.travel(local("2026-03-20T09:00").astimezone(UTC), tick=False):
        sign_in(client, "rn_cara")
        page = client.get(reverse("clinic:quiet")).text
    row_of = {
        name: page.split(f">{name}, ", 1)[1].split("</tr>", 1)[0] for name in ("Away", "Ended")
    }
    assert "reminders paused until Mar 27" in row_of["Away"]
    assert "paused" not in row_of["Ended"]
