"""The SPRAVATO REMS patient-monitoring form: when it is due and which readings it asks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lasting_core.sessions.rules import (
    EsketamineRules,
    Reading,
    ReadingPhase,
)


def monitoring_form_due_on(session_on: date, rules: EsketamineRules | None = None) -> date:
    """Return the day the REMS patient-monitoring form is due: 7 calendar days after."""
    rules = rules or EsketamineRules()
    return session_on + timedelta(days=rules.monitoring_form_due_days)


def is_form_overdue(due_on: date, *, today: date) -> bool:
    """Return True once the day the form was due has passed on the clinic's clock."""
    return today > due_on


@dataclass(frozen=True)
class RemsBloodPressures:
    """The three blood pressures the REMS form asks for (None where none was taken)."""

    before_dose: Reading | None
    about_40_minutes: Reading | None
    before_leaving: Reading | None


def rems_blood_pressures(
    started_at: datetime, readings: Sequence[Reading], rules: EsketamineRules | None = None
) -> RemsBloodPressures:
    """Pick the readings for the REMS form: the last before the dose, the post-dose one
    closest to 40 minutes within the window, and the last one before leaving."""
    rules = rules or EsketamineRules()
    before = [r for r in readings if r.phase == ReadingPhase.BEFORE]
    earliest = started_at + timedelta(minutes=rules.post_dose_bp_earliest_minutes)
    latest = started_at + timedelta(minutes=rules.post_dose_bp_latest_minutes)
    post_dose = [
        r
        for r in readings
        if r.phase in (ReadingPhase.DURING, ReadingPhase.AFTER)
        and earliest <= r.measured_at <= latest
    ]
    leaving = [r for r in readings if r.phase == ReadingPhase.DISCHARGE]
    target = started_at + timedelta(minutes=40)
    return RemsBloodPressures(
        before_dose=max(before, key=lambda r: r.measured_at) if before else None,
        about_40_minutes=min(post_dose, key=lambda r: abs(r.measured_at - target))
        if post_dose
        else None,
        before_leaving=max(leaving, key=lambda r: r.measured_at) if leaving else None,
    )
