"""The clinician's Vega-Lite charts, written as plain Vega-Lite dictionaries (building
them with Altair was most of a patient page's server time); `lasting.vega` draws them and
tests/web/test_demo.py checks them against the Vega-Lite schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from lasting.vega import VEGA_LITE_SCHEMA
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

Spec = dict[str, Any]


def field(name: str, kind: str, **options: Any) -> Spec:
    """A Vega-Lite field definition: `kind` is nominal, quantitative or temporal."""
    return {"field": name, "type": kind, **options}


def layer(rows: list[dict[str, Any]], mark: Spec, encoding: Spec, **options: Any) -> Spec:
    """One layer drawing `rows` (inline data)."""
    return {"data": {"values": rows}, "mark": mark, "encoding": encoding, **options}


def top_level(spec: Spec, height: int) -> Spec:
    """A chart as the pages embed it: as wide as its container, no frame."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        **spec,
        "width": "container",
        "height": height,
        "config": {"view": {"continuousWidth": 300, "continuousHeight": 300, "stroke": None}},
    }


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

    def axis(self) -> Spec:
        """The shared x encoding: the range's dates, month names on the axis.

        Dates are calendar dates in the patient's time zone: read and show them as UTC so
        the browser's own time zone cannot move them a day.
        """
        short = (self.last_on - self.first_on).days < WEEK_TICKS_BELOW_DAYS
        return field(
            "date",
            "temporal",
            title=None,
            scale={"type": "utc", "domain": [_datetime(self.first_on), _datetime(self.last_on)]},
            axis={
                # A utc scale labels its ticks in UTC; formatType "utc" would drop the
                # format in this Vega-Lite version.
                "format": "%b %-d" if short else "%b %Y",
                "labelAngle": 0,
                "labelOverlap": True,
                "tickCount": "week" if short else "month",
            },
        )


def day_tooltip(name: str, title: str) -> Spec:
    """A calendar date in a tooltip, read and shown in UTC like the axis, so the browser's
    own time zone cannot move it a day."""
    return field(name, "temporal", timeUnit="utcyearmonthdate", format="%b %-d, %Y", title=title)


def tooltip(name: str, title: str, kind: str = "nominal", **options: Any) -> Spec:
    return field(name, kind, title=title, **options)


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


def band_layer(code: InstrumentCode) -> Spec:
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
    return layer(
        rows,
        {"type": "rect", "opacity": 0.9},
        {
            "y": field("low", "quantitative", scale={"domain": [0, top]}, title=instrument.name),
            "y2": {"field": "high"},
            "color": field(
                "code",
                "nominal",
                scale={"domain": list(BAND_COLOURS), "range": list(BAND_COLOURS.values())},
                legend=None,
            ),
            "tooltip": [tooltip("band", f"{instrument.name} band")],
        },
    )


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


def score_layer(rows: list[dict[str, Any]], x: Spec, colour: str, name: str) -> Spec:
    return layer(
        rows,
        {"type": "line", "point": True, "strokeWidth": 2, "color": colour},
        {
            "x": x,
            "y": field("score", "quantitative"),
            "tooltip": [
                day_tooltip("date", "Date"),
                tooltip("score", name, "quantitative"),
                tooltip("band", "Band"),
            ],
        },
    )


def session_layer(timeline: Timeline, x: Spec) -> Spec:
    session_rows = [
        {"date": timeline.local_date(session.started_at), "kind": session.get_kind_display()}
        for session in timeline.sessions
    ]
    return layer(
        session_rows,
        {"type": "rule", "strokeDash": [3, 3], "opacity": 0.7},
        {
            "x": x,
            "stroke": field(
                "kind",
                "nominal",
                scale={
                    "domain": ["Induction", "Booster", "Maintenance"],
                    "range": list(SESSION_COLOURS.values()),
                },
                legend={"title": "Session", "orient": "bottom"},
            ),
            "tooltip": [day_tooltip("date", "Session"), tooltip("kind", "Kind")],
        },
    )


def _finish(layers: list[Spec], height: int) -> Spec:
    independent = {"color": "independent", "stroke": "independent", "shape": "independent"}
    return top_level({"layer": layers, "resolve": {"scale": independent}}, height)


def timeline_spec(timeline: Timeline) -> dict[str, Any]:
    """PHQ-9 over time on the PHQ-9 severity bands, with sessions, booster windows, alerts
    and the engine's forecast of when the relapse level will be reached."""
    dates = date_range(timeline)
    x = dates.axis() if dates else field("date", "temporal", title=None, scale={"type": "utc"})
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


def proposal_layers(timeline: Timeline, x: Spec) -> list[Spec]:
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
        layer(
            rows,
            {"type": "rect", "opacity": 0.18, "color": SESSION_COLOURS["booster"]},
            {
                "x": x,
                "x2": {"field": "end"},
                "tooltip": [
                    day_tooltip("date", "Booster window from"),
                    day_tooltip("end", "to"),
                    tooltip("status", "Proposal"),
                    tooltip("reason", "Why"),
                ],
            },
        )
    ]


def forecast_layers(timeline: Timeline, x: Spec) -> list[Spec]:
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
        layer(
            path,
            {"type": "line", "strokeDash": [6, 4], "color": "#b3261e", "strokeWidth": 2},
            {
                "x": x,
                "y": field("score", "quantitative"),
                "tooltip": [tooltip("what", ""), day_tooltip("date", "Date")],
            },
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
            layer(
                interval,
                {"type": "rule", "color": "#b3261e", "strokeWidth": 6, "opacity": 0.35},
                {
                    "x": x,
                    "x2": {"field": "end"},
                    "y": field("score", "quantitative"),
                    "tooltip": [
                        day_tooltip("date", "80 % interval from"),
                        day_tooltip("end", "to"),
                    ],
                },
            )
        )
    return layers


def alert_layers(timeline: Timeline, x: Spec) -> list[Spec]:
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
        layer(
            rows,
            {"type": "point", "shape": "triangle-down", "size": 90, "filled": True},
            {
                "x": x,
                "y": field("y", "quantitative"),
                "color": field(
                    "kind",
                    "nominal",
                    scale={
                        "domain": ["Safety", "Early warning", "Relapse", "Disengagement"],
                        "range": ["#b3261e", "#c25e00", "#7a1f5c", "#5f6b7a"],
                    },
                    legend={"title": "Alert", "orient": "bottom"},
                ),
                "tooltip": [
                    day_tooltip("date", "Alert"),
                    tooltip("kind", "Kind"),
                    tooltip("reason", "Why"),
                ],
            },
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
    area = layer(
        rows,
        {
            "type": "area",
            "line": {"color": "#b3261e"},
            # A point per assessment, so a single assessment still shows.
            "point": {"color": "#b3261e"},
            "color": "#f3c0c0",
            "opacity": 0.8,
            "interpolate": "step-after",
        },
        {
            "x": dates.axis(),
            "y": field(
                "p",
                "quantitative",
                title="Relapse risk, 28 days",
                scale={"domain": [0, 1]},
                axis={"format": "%", "tickCount": 3},
            ),
            "tooltip": [
                day_tooltip("date", "Assessed"),
                tooltip("p", "P(relapse within 28 days)", "quantitative", format=".0%"),
            ],
        },
    )
    return top_level(area, 90)


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


def life_context_layers(timeline: Timeline, x: Spec) -> list[Spec]:
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

    def by_record(lane_part: int) -> Spec:
        """The kind of record as a shape (lane part 1) or a colour (part 2)."""
        outputs = [lane[lane_part] for lane in LIFE_CONTEXT_LANES.values()]
        return field(
            "record",
            "nominal",
            scale={"domain": records, "range": outputs},
            legend={"title": "Life and treatment", "orient": "bottom"},
        )

    return [
        layer(
            rows,
            {"type": "point", "size": 70, "filled": True, "opacity": 0.9},
            {
                "x": x,
                "y": field("y", "quantitative"),
                "shape": by_record(1),
                "color": by_record(2),
                "tooltip": [
                    day_tooltip("date", "Date"),
                    tooltip("record", "Record"),
                    tooltip("what", "What"),
                    tooltip("entered", "Entered"),
                ],
            },
            name="life_context",
        )
    ]
