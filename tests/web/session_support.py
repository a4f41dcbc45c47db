"""Form bodies for logging a session through the page, on the organisation's clock.

The session form reads `datetime-local` values on the clinic's clock, so every time here
is built from the organisation's time zone and from now: a session is never in the
future, whatever instant the suite's clock is pinned at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lasting.accounts.clocks import now_in
from lasting.accounts.models import Organization

FORM_TIME = "%Y-%m-%dT%H:%M"
CALM = {
    "systolic_mmhg": "128",
    "diastolic_mmhg": "80",
    "heart_rate_bpm": "76",
    "spo2_percent": "98",
}
IV_PHASES = (("before", -5), ("during", 20), ("after", 45))
ESKETAMINE_PHASES = (("before", -10), ("after", 40), ("discharge", 120))


def dose_time(clinic: Organization, hours_ago: float = 4) -> datetime:
    """A dose `hours_ago` on the clinic's wall clock, to the minute (as the form sends it)."""
    return (now_in(clinic.time_zone) - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)


def at(dose_at: datetime, minutes: float) -> str:
    return (dose_at + timedelta(minutes=minutes)).strftime(FORM_TIME)


def vitals_body(
    dose_at: datetime, phases: tuple[tuple[str, int], ...] = IV_PHASES
) -> dict[str, str]:
    body = {
        "vitals-TOTAL_FORMS": str(len(phases)),
        "vitals-INITIAL_FORMS": "0",
        "vitals-MIN_NUM_FORMS": "0",
        "vitals-MAX_NUM_FORMS": "1000",
    }
    for index, (phase, minutes) in enumerate(phases):
        body[f"vitals-{index}-phase"] = phase
        body[f"vitals-{index}-measured_at"] = at(dose_at, minutes)
        body.update({f"vitals-{index}-{name}": value for name, value in CALM.items()})
    return body


def iv_body(dose_at: datetime, **overrides: Any) -> dict[str, Any]:
    """A complete IV session: 0.5 mg/kg, 90 minutes, readings before, during and after."""
    body: dict[str, Any] = {
        "kind": "induction",
        "route": "iv",
        "dose_mg": "40",
        "dose_mg_per_kg": "0.5",
        "lot_number": "K123",
        "started_at": at(dose_at, 0),
        "ended_at": at(dose_at, 90),
        "sedation": "4",
        "dissociation": "2",
        **vitals_body(dose_at, IV_PHASES),
    }
    body.update(overrides)
    return body


def esketamine_body(dose_at: datetime, monitor_id: int, **overrides: Any) -> dict[str, Any]:
    """A complete esketamine session, every field of the REMS monitoring form answered."""
    body: dict[str, Any] = {
        "kind": "induction",
        "route": "intranasal_esketamine",
        "esketamine_dose": "84",
        "lot_number": "EK2291",
        "started_at": at(dose_at, 0),
        "ended_at": at(dose_at, 125),
        "monitoring_clinician": str(monitor_id),
        "ready_to_leave_minutes": "95",
        "sedation": "4",
        "dissociation": "1",
        "rems_patient_enrolled": "True",
        "rems_first_treatment": "True",
        "takes_benzodiazepines": "False",
        "takes_non_benzodiazepine_sedative_hypnotics": "False",
        "takes_psychostimulants": "True",
        "takes_maois": "False",
        "vitals_acceptable_before_dose": "True",
        "vitals_acceptable_before_leaving": "True",
        "effects_resolved_at_end": "True",
        **vitals_body(dose_at, ESKETAMINE_PHASES),
    }
    body.update(overrides)
    return body
