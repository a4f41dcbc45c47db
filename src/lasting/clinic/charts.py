"""Vega-Lite charts (built with Altair) and the offline bundle that renders them in the browser."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
from django.conf import settings

from lasting.checkins.models import Instrument, Response
from lasting.treatment.models import TreatmentSession
from lasting_core.instruments import InstrumentCode, get_instrument

# The bundle must match the Vega-Lite version Altair writes specs for.
VEGA_LITE_VERSION = "6.4"
BUNDLE_PATH = f"lasting/vendor/vega-embed-vl{VEGA_LITE_VERSION}.js"

BAND_COLOURS = {
    "minimal": "#eef7ee",
    "mild": "#f6f7e6",
    "moderate": "#fdf3e1",
    "moderately_severe": "#fce6dc",
    "severe": "#f9d9d9",
}
SESSION_COLOURS = {"induction": "#5b6b8c", "booster": "#1f7a6d", "maintenance": "#8a6bb0"}


def ensure_vega_bundle() -> Path:
    """Write the Vega + Vega-Lite + vega-embed bundle shipped by vl-convert, once."""
    import vl_convert

    target = Path(settings.BUILT_ASSETS_DIR) / BUNDLE_PATH
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        # The stub marks `snippet` required; at run time it is optional and its default
        # exposes vega, vegaLite and vegaEmbed on window, which is what the pages need.
        bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)  # type: ignore[call-arg]
        partial.write_text(bundle)
        partial.replace(target)
    return target


def timeline_spec(
    responses: Iterable[Response], sessions: Iterable[TreatmentSession], zone: ZoneInfo
) -> dict[str, Any]:
    """PHQ-9 and GAD-7 over time on PHQ-9 severity bands, with a rule for each session."""
    phq9 = get_instrument(InstrumentCode.PHQ9)
    bands = [
        {
            "band": band.label,
            "code": band.code,
            "low": band.low - 0.5 if band.low else 0,
            "high": min(band.high + 0.5, 27),
        }
        for band in phq9.bands
    ]
    points = [
        {
            "date": response.observed_at.astimezone(zone).date().isoformat(),
            "score": response.total,
            "instrument": Instrument(response.instrument).label,
            "band": response.band_label,
        }
        for response in responses
        if response.instrument in (Instrument.PHQ9, Instrument.GAD7) and response.total is not None
    ]
    session_rows = [
        {
            "date": session.started_at.astimezone(zone).date().isoformat(),
            "kind": session.get_kind_display(),
        }
        for session in sessions
    ]
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month"))
    band_layer = (
        alt.Chart({"values": bands})
        .mark_rect(opacity=0.9)
        .encode(
            y=alt.Y("low:Q", scale=alt.Scale(domain=[0, 27]), title="Score"),
            y2="high:Q",
            color=alt.Color(
                "code:N",
                scale=alt.Scale(domain=list(BAND_COLOURS), range=list(BAND_COLOURS.values())),
                legend=None,
            ),
            tooltip=[alt.Tooltip("band:N", title="PHQ-9 band")],
        )
    )
    session_layer = (
        alt.Chart({"values": session_rows})
        .mark_rule(strokeDash=[3, 3], opacity=0.7)
        .encode(
            x=x,
            stroke=alt.Stroke(
                "kind:N",
                scale=alt.Scale(
                    domain=["Induction", "Booster", "Maintenance"],
                    range=list(SESSION_COLOURS.values()),
                ),
                legend=alt.Legend(title="Session", orient="bottom"),
            ),
            tooltip=[alt.Tooltip("date:T", title="Session"), alt.Tooltip("kind:N", title="Kind")],
        )
    )
    score_layer = (
        alt.Chart({"values": points})
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("score:Q"),
            color=alt.Color(
                "instrument:N",
                scale=alt.Scale(domain=["PHQ-9", "GAD-7"], range=["#1d3557", "#e07a1f"]),
                legend=alt.Legend(title=None, orient="top-right"),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("instrument:N", title="Instrument"),
                alt.Tooltip("score:Q", title="Score"),
            ],
        )
    )
    chart = (
        alt.layer(band_layer, session_layer, score_layer)
        .resolve_scale(color="independent", stroke="independent")
        .properties(width="container", height=280)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
