"""A pause in reminders is a known reason for silence: check-ins due in it are excused.

When staff pause a patient's reminders ("away until the 24th"), the check-ins that fall
due from the patient's today up to the pause's last day are marked excused, so the
engine does not read the silence as disengagement (`lasting.risk.history` leaves
excused check-ins out of the missed ones). The planner applies the same rule to the
check-ins it adds while a pause lasts. Check-ins due before the pause was set keep what
they were: a pause explains the days it covers, not the ones before it. Shortening or
lifting a pause takes the mark off the check-ins it no longer covers, from today on.

docs/clinical.md#check-ins-and-reminders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Q

from lasting.accounts.clocks import today_in
from lasting.checkins.models import Excuse, ScheduledCheckIn
from lasting.outreach.models import ContactPreference
from lasting.patients.models import Patient


def pause_running(paused_until: date | None, now: datetime, time_zone: str) -> date | None:
    """The pause's last day if it has not passed on the patient's clock, else None."""
    if paused_until is None or paused_until < today_in(time_zone, now):
        return None
    return paused_until


def apply_pauses(patient_ids: Iterable[int], now: datetime) -> int:
    """Excuse the unanswered check-ins these patients' pauses cover, from each patient's
    local today on, and un-excuse those no longer covered; return how many rows changed.

    Four queries whatever the number of patients.
    """
    ids = list(patient_ids)
    paused_until: dict[int, date | None] = dict(
        ContactPreference.objects.filter(
            patient_id__in=ids, paused_until__isnull=False
        ).values_list("patient_id", "paused_until")
    )
    zones = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "time_zone"))
    today = {pk: today_in(zone, now) for pk, zone in zones.items()}
    if not today:
        return 0
    rows = (
        ScheduledCheckIn.objects.filter(
            patient_id__in=ids, answered_by=None, due_on__gte=min(today.values())
        )
        .filter(Q(patient_id__in=list(paused_until)) | Q(excused=Excuse.PAUSE))
        .values_list("pk", "patient_id", "due_on", "excused")
    )
    excuse, clear = [], []
    for pk, patient_id, due_on, excused in rows:
        if due_on < today[patient_id]:
            continue  # the past stays as it was
        until = paused_until.get(patient_id)
        covered = until is not None and due_on <= until
        if covered and excused != Excuse.PAUSE:
            excuse.append(pk)
        elif not covered and excused == Excuse.PAUSE:
            clear.append(pk)
    changed = 0
    if excuse:
        changed += ScheduledCheckIn.objects.filter(pk__in=excuse).update(excused=Excuse.PAUSE)
    if clear:
        changed += ScheduledCheckIn.objects.filter(pk__in=clear).update(excused="")
    return changed
