"""The cost forecast in plain words for the patient's own page, in English and Spanish.

The sentence names the current plan's 10th-90th percentile of the simulated yearly cost
("most likely between") and the expected number of sessions; never relapse-days, never
the alternatives (those are for the clinician to talk through).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext, ngettext

from lasting.costs.models import CostForecast
from lasting.costs.queries import find_own_cost_forecast
from lasting.patients.models import Patient


def money(amount: str, currency: str) -> str:
    """$1,234 for US dollars; 1,234 EUR for any other currency."""
    whole = f"{Decimal(amount):,.0f}"
    return f"${whole}" if currency == "USD" else f"{whole} {currency}"


def describe_forecast(forecast: CostForecast | None) -> str:
    """One sentence about the next 12 months of the current plan, or "" when none."""
    row = forecast.current if forecast is not None else None
    if forecast is None or row is None:
        return ""
    sessions = round(float(str(row["expected_sessions"])))
    about = ngettext("about %(n)s session", "about %(n)s sessions", sessions) % {"n": sessions}
    low, high = row.get("cost_low"), row.get("cost_high")
    if low is None or high is None:
        return gettext(
            "If you keep your current plan, you will most likely need %(sessions)s in the "
            "next 12 months. Your clinic can tell you what they cost."
        ) % {"sessions": about}
    if low == high:
        return gettext(
            "If you keep your current plan, the next 12 months will most likely cost "
            "%(amount)s (%(sessions)s)."
        ) % {"amount": money(str(low), forecast.currency), "sessions": about}
    return gettext(
        "If you keep your current plan, the next 12 months will most likely cost between "
        "%(low)s and %(high)s (%(sessions)s)."
    ) % {
        "low": money(str(low), forecast.currency),
        "high": money(str(high), forecast.currency),
        "sessions": about,
    }


def portal_cost_context(patient: Patient) -> dict[str, object]:
    """The patient's own cost sentence; call with the patient's language active."""
    return {"cost_sentence": describe_forecast(find_own_cost_forecast(patient))}
