"""The clinician's Vega-Lite charts, built with Altair; `lasting.vega` draws them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt

from lasting.alerts.models import Alert
from lasting.checkins.models import Instrument, Response
from lasting.plans.models import BoosterProposal
from lasting.risk.models import RiskAssessment
from lasting.treatment.models import (
    EntrySource,
    LifeEvent,
    LifeEventWeight,
    MedicationChange,
    TherapyEvent,
    TreatmentSession,
)
from lasting.vega import chart_spec
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
    life_events: Sequence[LifeEvent] = ()
    medication_changes: Sequence[MedicationChange] = ()
    therapy_events: Sequence[TherapyEvent] = ()

    def local_date(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).date().isoformat()


# Choice: a range shorter than this is labelled by week, a longer one by month.
WEEK_TICKS_BELOW_DAYS = 62


@dataclass(frozen=True)
class DateRange:
    """The one time range every chart of a patient is drawn on (calendar dates)."""

    first_on: date
    last_on: date

    def axis(self) -> alt.X:
        """The shared x encoding: the range's dates, month names on the axis.

        Dates are calendar dates in the patient's time zone: read and show them as UTC so
        the browser's own time zone cannot move them a day.
        """
        short = (self.last_on - self.first_on).days < WEEK_TICKS_BELOW_DAYS
        return alt.X(
            "date:T",
            title=None,
            scale=alt.Scale(type="utc", domain=[_datetime(self.first_on), _datetime(self.last_on)]),
            axis=alt.Axis(
                # A utc scale labels its ticks in UTC; formatType "utc" would drop the
                # format in this Vega-Lite version.
                format="%b %-d" if short else "%b %Y",
                labelAngle=0,
                labelOverlap=True,
                tickCount="week" if short else "month",
            ),
        )


def day_tooltip(field: str, title: str) -> alt.Tooltip:
    """A calendar date in a tooltip, read and shown in UTC like the axis, so the browser's
    own time zone cannot move it a day."""
    return alt.Tooltip(f"utcyearmonthdate({field}):T", format="%b %-d, %Y", title=title)


def _datetime(day: date) -> dict[str, Any]:
    """A Vega-Lite DateTime at UTC midnight (months count from 1)."""
    return {"year": day.year, "month": day.month, "date": day.day, "utc": True}


def date_range(timeline: Timeline) -> DateRange | None:
    """Return the range that holds everything the patient's charts draw, or None."""
    days = [date.fromisoformat(timeline.local_date(r.observed_at)) for r in timeline.responses]
    days += [date.fromisoformat(timeline.local_date(s.started_at)) for s in timeline.sessions]
    days += [date.fromisoformat(timeline.local_date(a.opened_at)) for a in timeline.alerts]
    days += [a.assessed_on for a in timeline.assessments]
    days += [row["on"] for row in life_context_markers(timeline)]
    for proposal in timeline.proposals:
        days += [proposal.earliest_on, proposal.latest_on]
    latest = timeline.assessments[-1] if timeline.assessments else None
    if latest is not None and latest.level is not None and latest.crossing_on is not None:
        days += [latest.crossing_on]
        days += [d for d in (latest.crossing_earliest_on, latest.crossing_latest_on) if d]
    if not days:
        return None
    first, last = min(days), max(days)
    # A day either side, so the first and last points are not cut in half.
    return DateRange(first - timedelta(days=1), last + timedelta(days=1))


def band_layer(code: InstrumentCode) -> alt.Chart:
    """The instrument's own severity bands, from the core's definition of the instrument."""
    instrument = get_instrument(code)
    top = max(band.high for band in instrument.bands)
    rows = [
        {
            "band": band.label,
            "code": band.code,
            "low": band.low - 0.5 if band.low else 0,
            "high": min(band.high + 0.5, top),
        }
        for band in instrument.bands
    ]
    chart: alt.Chart = (
        alt.Chart({"values": rows})
        .mark_rect(opacity=0.9)
        .encode(
            y=alt.Y("low:Q", scale=alt.Scale(domain=[0, top]), title=instrument.name),
            y2="high:Q",
            color=alt.Color(
                "code:N",
                scale=alt.Scale(domain=list(BAND_COLOURS), range=list(BAND_COLOURS.values())),
                legend=None,
            ),
            tooltip=[alt.Tooltip("band:N", title=f"{instrument.name} band")],
        )
    )
    return chart


def score_rows(timeline: Timeline, instrument: Instrument) -> list[dict[str, Any]]:
    return [
        {
            "date": timeline.local_date(response.observed_at),
            "score": response.total,
            "band": response.band_label,
        }
        for response in timeline.responses
        if response.instrument == instrument and response.total is not None
    ]


def score_layer(rows: list[dict[str, Any]], x: alt.X, colour: str, name: str) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart({"values": rows})
        .mark_line(point=True, strokeWidth=2, color=colour)
        .encode(
            x=x,
            y=alt.Y("score:Q"),
            tooltip=[
                day_tooltip("date", "Date"),
                alt.Tooltip("score:Q", title=name),
                alt.Tooltip("band:N", title="Band"),
            ],
        )
    )
    return chart


def session_layer(timeline: Timeline, x: alt.X) -> alt.Chart:
    session_rows = [
        {"date": timeline.local_date(session.started_at), "kind": session.get_kind_display()}
        for session in timeline.sessions
    ]
    chart: alt.Chart = (
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
                day_tooltip("date", "Session"),
                alt.Tooltip("kind:N", title="Kind"),
            ],
        )
    )
    return chart


def _finish(layers: list[alt.Chart], height: int) -> dict[str, Any]:
    # One constructor rather than chained methods: each Altair method copies the whole
    # chart, layers included (measured: about 15 % of a patient page).
    independent = alt.ScaleResolveMap(
        color="independent", stroke="independent", shape="independent"
    )
    chart = alt.LayerChart(
        layer=layers,
        resolve=alt.Resolve(scale=independent),
        width="container",
        height=height,
        config=alt.Config(view=alt.ViewConfig(stroke=None)),
    )
    return chart_spec(chart)


def timeline_spec(timeline: Timeline) -> dict[str, Any]:
    """PHQ-9 over time on the PHQ-9 severity bands, with sessions, booster windows, alerts
    and the engine's forecast of when the relapse level will be reached."""
    dates = date_range(timeline)
    x = dates.axis() if dates else alt.X("date:T", title=None, scale=alt.Scale(type="utc"))
    layers = [band_layer(InstrumentCode.PHQ9), *proposal_layers(timeline, x)]
    layers.append(session_layer(timeline, x))
    layers.extend(forecast_layers(timeline, x))
    layers.append(score_layer(score_rows(timeline, Instrument.PHQ9), x, "#1d3557", "PHQ-9"))
    layers.extend(alert_layers(timeline, x))
    layers.extend(life_context_layers(timeline, x))
    return _finish(layers, 280)


def gad7_spec(timeline: Timeline) -> dict[str, Any] | None:
    """GAD-7 over time on its own severity bands (0-21), on the PHQ-9 chart's time range;
    None when the patient has no GAD-7."""
    rows = score_rows(timeline, Instrument.GAD7)
    dates = date_range(timeline)
    if not rows or dates is None:
        return None
    x = dates.axis()
    layers = [
        band_layer(InstrumentCode.GAD7),
        session_layer(timeline, x),
        score_layer(rows, x, "#e07a1f", "GAD-7"),
    ]
    return _finish(layers, 160)


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
                day_tooltip("date", "Booster window from"),
                day_tooltip("end", "to"),
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
                day_tooltip("date", "Date"),
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
                    day_tooltip("date", "80 % interval from"),
                    day_tooltip("end", "to"),
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
                day_tooltip("date", "Alert"),
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("reason:N", title="Why"),
            ],
        )
    ]


def risk_spec(timeline: Timeline) -> dict[str, Any] | None:
    """The engine's P(relapse criteria met within 28 days) over time, as a band, on the same
    time range as the symptom charts."""
    rows = [
        {"date": assessment.assessed_on.isoformat(), "p": assessment.p_relapse_28d}
        for assessment in timeline.assessments
        if assessment.p_relapse_28d is not None
    ]
    dates = date_range(timeline)
    if not rows or dates is None:
        return None
    chart = (
        alt.Chart({"values": rows})
        .mark_area(
            line={"color": "#b3261e"},
            # A point per assessment, so a single assessment still shows.
            point={"color": "#b3261e"},
            color="#f3c0c0",
            opacity=0.8,
            interpolate="step-after",
        )
        .encode(
            x=dates.axis(),
            y=alt.Y(
                "p:Q",
                title="Relapse risk, 28 days",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=3),
            ),
            tooltip=[
                day_tooltip("date", "Assessed"),
                alt.Tooltip("p:Q", title="P(relapse within 28 days)", format=".0%"),
            ],
        )
        .properties(width="container", height=90)
        .configure_view(stroke=None)
    )
    return chart_spec(chart)


# Life events, medication changes and therapy: a lane of markers each, under the alerts'
# row at the top of the PHQ-9 chart (docs/clinical.md#life-events-medication-and-therapy).
LIFE_CONTEXT_LANES = {
    "Life event": (24.7, "diamond", "#9c2f6b"),
    "Medication": (23.2, "square", "#2f5d9c"),
    "Therapy": (21.7, "circle", "#3f7f3a"),
}


def life_context_markers(timeline: Timeline) -> list[dict[str, Any]]:
    """One marker per life event, medication change and therapy entry: its day on the
    patient's calendar (stored as such, never shifted) and what a tooltip says."""
    markers: list[dict[str, Any]] = []
    for event in timeline.life_events:
        weight = LifeEventWeight(event.weight)
        markers.append(
            {
                "on": event.occurred_on,
                "record": "Life event",
                "what": f"{event.get_kind_display()} ({weight.name.lower()}, "
                f"{weight.value} of {max(LifeEventWeight).value})",
                "source": event.source,
            }
        )
    for change in timeline.medication_changes:
        dose = f" {change.dose_text}" if change.dose_text else ""
        markers.append(
            {
                "on": change.changed_on,
                "record": "Medication",
                "what": f"{change.get_change_display()}: {change.drug_name}{dose} "
                f"({change.get_drug_class_display().lower()})",
                "source": change.source,
            }
        )
    for therapy in timeline.therapy_events:
        named = f": {therapy.therapy}" if therapy.therapy else ""
        markers.append(
            {
                "on": therapy.occurred_on,
                "record": "Therapy",
                "what": f"{therapy.get_kind_display()}{named}",
                "source": therapy.source,
            }
        )
    return markers


def life_context_layers(timeline: Timeline, x: alt.X) -> list[alt.Chart]:
    """Markers by kind (life event, medication, therapy), each in its own lane, with a
    tooltip naming the day, what happened and who told the clinic."""
    sources = dict(EntrySource.choices)
    rows = [
        {
            "date": marker["on"].isoformat(),
            "record": marker["record"],
            "what": marker["what"],
            "entered": str(sources.get(marker["source"], marker["source"])),
            "y": LIFE_CONTEXT_LANES[marker["record"]][0],
        }
        for marker in life_context_markers(timeline)
    ]
    if not rows:
        return []
    records = list(LIFE_CONTEXT_LANES)
    return [
        alt.Chart({"values": rows}, name="life_context")
        .mark_point(size=70, filled=True, opacity=0.9)
        .encode(
            x=x,
            y="y:Q",
            shape=alt.Shape(
                "record:N",
                scale=alt.Scale(
                    domain=records, range=[lane[1] for lane in LIFE_CONTEXT_LANES.values()]
                ),
                legend=alt.Legend(title="Life and treatment", orient="bottom"),
            ),
            color=alt.Color(
                "record:N",
                scale=alt.Scale(
                    domain=records, range=[lane[2] for lane in LIFE_CONTEXT_LANES.values()]
                ),
                legend=alt.Legend(title="Life and treatment", orient="bottom"),
            ),
            tooltip=[
                day_tooltip("date", "Date"),
                alt.Tooltip("record:N", title="Record"),
                alt.Tooltip("what:N", title="What"),
                alt.Tooltip("entered:N", title="Entered"),
            ],
        )
    ]
