"""The patient's own chart: their PHQ-9 totals over time, as a Vega-Lite spec (Altair).

Simpler than the clinician's timeline on purpose: one line, no risk, no alerts, no
forecast. Dates are calendar dates in the patient's time zone, drawn in UTC so the
browser's own zone cannot move them a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
from django.utils.translation import get_language, gettext

from lasting.checkins.models import Response
from lasting.vega import chart_spec

PHQ9_MAX = 27
LINE_COLOUR = "#1d3557"

# d3's Spanish calendar words, so month names on the axis follow the page's language.
SPANISH_TIME_LOCALE = {
    "dateTime": "%A, %e de %B de %Y, %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    "shortDays": ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
    "months": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "shortMonths": [
        "ene",
        "feb",
        "mar",
        "abr",
        "may",
        "jun",
        "jul",
        "ago",
        "sep",
        "oct",
        "nov",
        "dic",
    ],
}


def phq9_spec(responses: Sequence[Response], zone: ZoneInfo) -> dict[str, Any]:
    """A line of PHQ-9 totals by date, labelled in the active language."""
    points = [
        {
            "date": response.observed_at.astimezone(zone).date().isoformat(),
            "score": response.total,
        }
        for response in responses
        if response.total is not None
    ]
    chart = (
        alt.Chart({"values": points})
        .mark_line(point=True, strokeWidth=2, color=LINE_COLOUR)
        .encode(
            # A UTC time unit both places and labels the dates in UTC. (A utc scale
            # with formatType "utc" drops the format in this Vega-Lite version.)
            x=alt.X(
                "utcyearmonthdate(date):T",
                title=None,
                axis=alt.Axis(format="%-d %b", labelAngle=0),
            ),
            y=alt.Y(
                "score:Q",
                title=gettext("Score (0 to 27, lower is better)"),
                scale=alt.Scale(domain=[0, PHQ9_MAX]),
            ),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(date):T", format="%-d %b %Y", title=gettext("Date")),
                alt.Tooltip("score:Q", title=gettext("Score")),
            ],
        )
        .properties(width="container", height=220)
        .configure_view(stroke=None)
    )
    if get_language() == "es":
        chart = chart.configure(locale=alt.Locale(time=SPANISH_TIME_LOCALE))
    return chart_spec(chart)
