"""The durability curve as a Vega-Lite chart (Altair), drawn by the offline bundle."""

from __future__ import annotations

from typing import Any

import altair as alt

from lasting.vega import chart_spec
from lasting_core.analytics.anchors import DurabilityAnchor
from lasting_core.analytics.survival import DurabilityCurve

# Choice: the chart stops at a year; the tables give every step.
CHART_DAYS = 365


def durability_spec(
    curve: DurabilityCurve, anchors: tuple[DurabilityAnchor, ...]
) -> dict[str, Any]:
    """The clinic's Kaplan-Meier curve with its 95 % band, and the published points
    (S at a horizon, or 0.5 at a median) beside it."""
    steps = [
        {"days": s.days, "S": s.survival, "low": s.lower, "high": s.upper}
        for s in curve.steps
        if s.days <= CHART_DAYS
    ]
    x = alt.X("days:Q", title="Days since the session", scale=alt.Scale(domain=[0, CHART_DAYS]))
    y = alt.Y("S:Q", title="Share still well", scale=alt.Scale(domain=[0, 1]))
    data = {"values": steps}
    band = (
        alt.Chart(data)
        .mark_area(interpolate="step-after", opacity=0.25, color="#1d3557")
        .encode(x=x, y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 1])), y2="high:Q")
    )
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", color="#1d3557")
        .encode(x=x, y=y, tooltip=["days:Q", alt.Tooltip("S:Q", format=".2f")])
    )
    points = [
        {"days": days, "S": share, "source": anchor.source}
        for anchor in anchors
        for days, share in anchor.survival
    ] + [
        {"days": anchor.median_days, "S": 0.5, "source": f"{anchor.source} (median)"}
        for anchor in anchors
        if anchor.median_days is not None
    ]
    published = (
        alt.Chart({"values": points})
        .mark_point(shape="diamond", size=70, filled=True, color="#b5651d")
        .encode(x=x, y=y, tooltip=["source:N", "days:Q", alt.Tooltip("S:Q", format=".2f")])
    )
    chart = (
        alt.layer(band, line, published)
        .properties(width="container", height=260)
        .configure_view(stroke=None)
    )
    return chart_spec(chart)
