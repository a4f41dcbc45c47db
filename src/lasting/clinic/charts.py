"""The clinician's Vega-Lite charts, built with Altair; `lasting.vega` draws them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt

from lasting.alerts.models import Alert
from lasting.checkins.models import Instrument, Response
from lasting.plans.models import BoosterProposal
from lasting.risk.models import RiskAssessment
from lasting.treatment.models import TreatmentSession
from lasting.vega import ensure_vega_bundle as ensure_vega_bundle  # for the CLI and e2e tests
from lasting_core.definitions import DefinitionSettings
from lasting_core.instruments import InstrumentCode, get_instrument

BAND_COLOURS = {
    "minimal": "#eef7ee",
    "mild": "#f6f7e6",
    "moderate": "#fdf3e1",
    "moderately_severe": "#fce6dc",
    "severe": "#f9d9d9",
}
# The PHQ-9 threshold of the relapse definition (docs/clinical.md#definitions), from the
# core's one definition.
RELAPSE_BAR = DefinitionSettings().relapse_threshold
SESSION_COLOURS = {"induction": "#5b6b8c", "booster": "#1f7a6d", "maintenance": "#8a6bb0"}


@dataclass(frozen=True)
class Timeline:
    """Everything the patient chart draws, already read and access-checked."""

    zone: ZoneInfo
    responses: Sequence[Response]
    sessions: Sequence[TreatmentSession]
    assessments: Sequence[RiskAssessment] = ()
    alerts: Sequence[Alert] = ()
    proposals: Sequence[BoosterProposal] = ()

    def local_date(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).date().isoformat()


def timeline_spec(timeline: Timeline) -> dict[str, Any]:
    """PHQ-9 and GAD-7 over time on PHQ-9 severity bands, with sessions, booster windows,
    alerts and the engine's forecast of when the relapse bar will be crossed."""
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
            "date": timeline.local_date(response.observed_at),
            "score": response.total,
            "instrument": Instrument(response.instrument).label,
            "band": response.band_label,
        }
        for response in timeline.responses
        if response.instrument in (Instrument.PHQ9, Instrument.GAD7) and response.total is not None
    ]
    session_rows = [
        {"date": timeline.local_date(session.started_at), "kind": session.get_kind_display()}
        for session in timeline.sessions
    ]
    # Dates are calendar dates in the patient's time zone: read and show them as UTC so
    # the browser's own time zone cannot move them a day.
    x = alt.X(
        "date:T",
        title=None,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %Y", formatType="utc", labelAngle=0, tickCount="month"),
    )
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
    layers = [band_layer, *proposal_layers(timeline, x)]
    layers.append(
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
            tooltip=[
                alt.Tooltip("date:T", format="%b %d, %Y", formatType="utc", title="Session"),
                alt.Tooltip("kind:N", title="Kind"),
            ],
        )
    )
    layers.extend(forecast_layers(timeline, x))
    layers.append(
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
                alt.Tooltip("date:T", format="%b %d, %Y", formatType="utc", title="Date"),
                alt.Tooltip("instrument:N", title="Instrument"),
                alt.Tooltip("score:Q", title="Score"),
            ],
        )
    )
    layers.extend(alert_layers(timeline, x))
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent", stroke="independent", shape="independent")
        .properties(width="container", height=280)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def proposal_layers(timeline: Timeline, x: alt.X) -> list[alt.Chart]:
    rows = [
        {
            "date": proposal.earliest_on.isoformat(),
            "end": proposal.latest_on.isoformat(),
            "status": proposal.get_status_display(),
            "reason": proposal.reason,
        }
        for proposal in timeline.proposals
    ]
    if not rows:
        return []
    return [
        alt.Chart({"values": rows})
        .mark_rect(opacity=0.18, color=SESSION_COLOURS["booster"])
        .encode(
            x=x,
            x2="end:T",
            tooltip=[
                alt.Tooltip(
                    "date:T", format="%b %d, %Y", formatType="utc", title="Booster window from"
                ),
                alt.Tooltip("end:T", format="%b %d, %Y", formatType="utc", title="to"),
                alt.Tooltip("status:N", title="Proposal"),
                alt.Tooltip("reason:N", title="Why"),
            ],
        )
    ]


def forecast_layers(timeline: Timeline, x: alt.X) -> list[alt.Chart]:
    """A dashed line from today's level to the forecast crossing, and its 80 % interval."""
    latest = timeline.assessments[-1] if timeline.assessments else None
    if latest is None or latest.level is None or latest.crossing_on is None:
        return []
    bar = latest.relapse_bar if latest.relapse_bar is not None else RELAPSE_BAR
    path = [
        {"date": latest.assessed_on.isoformat(), "score": latest.level, "what": "Now"},
        {"date": latest.crossing_on.isoformat(), "score": bar, "what": "Forecast crossing"},
    ]
    layers = [
        alt.Chart({"values": path})
        .mark_line(strokeDash=[6, 4], color="#b3261e", strokeWidth=2)
        .encode(
            x=x,
            y="score:Q",
            tooltip=[
                alt.Tooltip("what:N", title=""),
                alt.Tooltip("date:T", format="%b %d, %Y", formatType="utc", title="Date"),
            ],
        )
    ]
    if latest.crossing_earliest_on and latest.crossing_latest_on:
        interval = [
            {
                "date": latest.crossing_earliest_on.isoformat(),
                "end": latest.crossing_latest_on.isoformat(),
                "score": bar,
            }
        ]
        layers.append(
            alt.Chart({"values": interval})
            .mark_rule(color="#b3261e", strokeWidth=6, opacity=0.35)
            .encode(
                x=x,
                x2="end:T",
                y="score:Q",
                tooltip=[
                    alt.Tooltip(
                        "date:T", format="%b %d, %Y", formatType="utc", title="80 % interval from"
                    ),
                    alt.Tooltip("end:T", format="%b %d, %Y", formatType="utc", title="to"),
                ],
            )
        )
    return layers


def alert_layers(timeline: Timeline, x: alt.X) -> list[alt.Chart]:
    rows = [
        {
            "date": timeline.local_date(alert.opened_at),
            "kind": alert.get_kind_display(),
            "reason": alert.reason,
            "y": 26.3,
        }
        for alert in timeline.alerts
    ]
    if not rows:
        return []
    return [
        alt.Chart({"values": rows})
        .mark_point(shape="triangle-down", size=90, filled=True)
        .encode(
            x=x,
            y="y:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["Safety", "Early warning", "Relapse", "Disengagement"],
                    range=["#b3261e", "#c25e00", "#7a1f5c", "#5f6b7a"],
                ),
                legend=alt.Legend(title="Alert", orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("date:T", format="%b %d, %Y", formatType="utc", title="Alert"),
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("reason:N", title="Why"),
            ],
        )
    ]


def risk_spec(timeline: Timeline) -> dict[str, Any] | None:
    """The engine's P(relapse criteria met within 28 days) over time, as a band."""
    rows = [
        {"date": assessment.assessed_on.isoformat(), "p": assessment.p_relapse_28d}
        for assessment in timeline.assessments
        if assessment.p_relapse_28d is not None
    ]
    if not rows:
        return None
    chart = (
        alt.Chart({"values": rows})
        .mark_area(
            line={"color": "#b3261e"}, color="#f3c0c0", opacity=0.8, interpolate="step-after"
        )
        .encode(
            x=alt.X(
                "date:T",
                title=None,
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%b %Y", formatType="utc", labelAngle=0),
            ),
            y=alt.Y(
                "p:Q",
                title="Relapse risk, 28 days",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=3),
            ),
            tooltip=[
                alt.Tooltip("date:T", format="%b %d, %Y", formatType="utc", title="Assessed"),
                alt.Tooltip("p:Q", title="P(relapse within 28 days)", format=".0%"),
            ],
        )
        .properties(width="container", height=90)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
