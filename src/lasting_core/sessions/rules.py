"""The session-safety rules' settings and the values they judge (docs/clinical.md#session-safety).

Scales (MOAA/S, dissociation), physiological limits, the IV/IM and esketamine rules with
their sources (see the package docstring), and the session record a review reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Route(StrEnum):
    """How the dose was given (the same values as the app)."""

    IV = "iv"
    IM = "im"
    INTRANASAL_ESKETAMINE = "intranasal_esketamine"
    OTHER = "other"


class ReadingPhase(StrEnum):
    """When a set of vital signs was taken, relative to the dose."""

    BEFORE = "before"
    DURING = "during"
    AFTER = "after"
    DISCHARGE = "discharge"


PHASE_WORDS = {
    ReadingPhase.BEFORE: "before the dose",
    ReadingPhase.DURING: "during the dose",
    ReadingPhase.AFTER: "after the dose",
    ReadingPhase.DISCHARGE: "before leaving",
}
ROUTE_WORDS = {
    Route.IV: "IV ketamine",
    Route.IM: "IM ketamine",
    Route.INTRANASAL_ESKETAMINE: "Esketamine",
    Route.OTHER: "This session",
}


class FindingCode(StrEnum):
    """What a confirmed reason is asked for."""

    PRE_DOSE_BP_HIGH = "pre_dose_bp_high"
    SPO2_LOW = "spo2_low"
    DOSE_PER_KG_OUTSIDE_RANGE = "dose_per_kg_outside_range"
    VITALS_NOT_ACCEPTABLE_BEFORE_DOSE = "vitals_not_acceptable_before_dose"
    VITALS_NOT_ACCEPTABLE_BEFORE_LEAVING = "vitals_not_acceptable_before_leaving"


@dataclass(frozen=True)
class ScaleLevel:
    score: int
    label: str


# MOAA/S (Chernik 1990), highest (awake) first.
MOAAS: tuple[ScaleLevel, ...] = (
    ScaleLevel(5, "Responds readily to name spoken in normal tone"),
    ScaleLevel(4, "Lethargic response to name spoken in normal tone"),
    ScaleLevel(3, "Responds only after name is called loudly and/or repeatedly"),
    ScaleLevel(2, "Responds only after mild prodding or shaking"),
    ScaleLevel(1, "Responds only after painful trapezius squeeze"),
    ScaleLevel(0, "Does not respond to painful trapezius squeeze (painful stimulus)"),
)
MOAAS_AWAKE = 5
# Choice: dissociation is the clinician's global rating 0 (none) to 4 (severe); it is not
# a published instrument (the trials used the CADSS, which takes an interview).
DISSOCIATION: tuple[ScaleLevel, ...] = (
    ScaleLevel(0, "None"),
    ScaleLevel(1, "Mild"),
    ScaleLevel(2, "Moderate"),
    ScaleLevel(3, "Marked"),
    ScaleLevel(4, "Severe"),
)


def moaas_label(score: int) -> str:
    """Return the MOAA/S wording of a score; raise ValueError for a score not on the scale."""
    for level in MOAAS:
        if level.score == score:
            return level.label
    raise ValueError(f"{score} is not a MOAA/S score (0-5)")


@dataclass(frozen=True)
class Limits:
    """An inclusive range of possible values."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low must not exceed high")

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high


@dataclass(frozen=True)
class VitalLimits:
    """Physiological limits: a reading outside them is a typing error, never stored.

    Choice: wide enough for any adult a clinic could be monitoring (these are not alarm
    limits, which are clinical decisions), narrow enough to catch a slipped digit
    (SpO2 140 %, heart rate 7). Diastolic must be below systolic.
    """

    systolic_mmhg: Limits = Limits(50, 260)
    diastolic_mmhg: Limits = Limits(20, 160)
    heart_rate_bpm: Limits = Limits(20, 250)
    spo2_percent: Limits = Limits(50, 100)
    # Choice: dose in mg over dose in mg/kg is the weight the dose was worked out for; a
    # weight outside 25-300 kg means one of the two figures is mistyped.
    implied_weight_kg: Limits = Limits(25, 300)


@dataclass(frozen=True)
class KetamineRules:
    """IV and IM ketamine (Sanacora 2017 consensus)."""

    # Vital signs before, during and after the dose.
    required_phases: tuple[ReadingPhase, ...] = (
        ReadingPhase.BEFORE,
        ReadingPhase.DURING,
        ReadingPhase.AFTER,
    )
    # Blood pressure above 140/90 before dosing is to be weighed (and treated) first.
    pre_dose_systolic_above: int = 140
    pre_dose_diastolic_above: int = 90
    # Oxygen saturation below 92 % is to be weighed.
    spo2_below: int = 92
    # The range of doses studied (0.1-1.0 mg/kg; 0.5 mg/kg over 40 minutes the most
    # studied): a dose outside it is given only for a stated reason.
    dose_mg_per_kg_low: float = 0.1
    dose_mg_per_kg_high: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.dose_mg_per_kg_low < self.dose_mg_per_kg_high:
            raise ValueError("the mg/kg range must be positive and ordered")


@dataclass(frozen=True)
class EsketamineRules:
    """Intranasal esketamine (SPRAVATO prescribing information and REMS)."""

    # Each nasal spray device holds 28 mg; the labelled doses are 56 mg and 84 mg.
    device_mg: int = 28
    labelled_doses_mg: tuple[int, ...] = (56, 84)
    # 84 mg is the highest dose in the label.
    max_dose_mg: int = 84
    # Monitoring for at least 2 hours, and until the patient is clinically stable
    # (sedation, dissociation and respiratory depression resolved).
    min_monitoring_minutes: int = 120
    # Blood pressure about 40 minutes after the dose, when the rise peaks. Choice: "about
    # 40 minutes" is a reading 35 to 60 minutes after the first device.
    post_dose_bp_earliest_minutes: int = 35
    post_dose_bp_latest_minutes: int = 60
    # Choice: the reading "before leaving" is taken in the last 30 minutes of monitoring.
    discharge_bp_within_minutes_of_end: int = 30
    # If baseline blood pressure is elevated (e.g. > 140 mmHg systolic, > 90 diastolic),
    # consider the risk of short-term increases against the benefit of treatment.
    pre_dose_systolic_above: int = 140
    pre_dose_diastolic_above: int = 90
    # The REMS patient-monitoring form is submitted within 7 days of each session.
    monitoring_form_due_days: int = 7

    def __post_init__(self) -> None:
        if any(dose % self.device_mg for dose in self.labelled_doses_mg):
            raise ValueError("every labelled dose must be a whole number of devices")
        if max(self.labelled_doses_mg) > self.max_dose_mg:
            raise ValueError("a labelled dose exceeds the maximum dose")
        if self.post_dose_bp_earliest_minutes > self.post_dose_bp_latest_minutes:
            raise ValueError("the post-dose blood pressure window must be ordered")


@dataclass(frozen=True)
class SessionRules:
    """Every session-safety setting."""

    vitals: VitalLimits = field(default_factory=VitalLimits)
    ketamine: KetamineRules = field(default_factory=KetamineRules)
    esketamine: EsketamineRules = field(default_factory=EsketamineRules)
    # Choice: readings belong to the session from 2 hours before the dose to an hour after
    # monitoring ends (4 hours after the dose while the end is unknown).
    readings_before_minutes: int = 120
    readings_after_end_minutes: int = 60
    open_session_minutes: int = 240


@dataclass(frozen=True)
class Reading:
    phase: ReadingPhase
    measured_at: datetime
    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int
    spo2_percent: int


@dataclass(frozen=True)
class SessionRecord:
    """A session as recorded, in plain values (the app's field names)."""

    route: Route
    started_at: datetime  # the dose; for esketamine, the first device
    ended_at: datetime | None  # the end of monitoring
    dose_mg: float | None
    dose_mg_per_kg: float | None = None
    dose_reason: str = ""
    lot_number: str = ""
    sedation: int | None = None  # deepest level on the MOAA/S (5 awake ... 0)
    dissociation: int | None = None
    respiratory_depression: bool = False
    readings: tuple[Reading, ...] = ()
    # The REMS patient-monitoring form (esketamine).
    monitoring_clinician: str = ""
    ready_to_leave_minutes: int | None = None
    vitals_acceptable_before_dose: bool | None = None
    vitals_acceptable_before_leaving: bool | None = None
    effects_resolved_at_end: bool | None = None
    takes_benzodiazepines: bool | None = None
    takes_non_benzodiazepine_sedative_hypnotics: bool | None = None
    takes_psychostimulants: bool | None = None
    takes_maois: bool | None = None
    rems_patient_enrolled: bool | None = None
    rems_first_treatment: bool | None = None

    @property
    def monitored_minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)


@dataclass(frozen=True)
class Problem:
    """A reason the session is refused; `field` names the field it belongs to."""

    field: str
    message: str


@dataclass(frozen=True)
class Finding:
    """Something the session may be stored with only when a reason is confirmed."""

    code: FindingCode
    message: str


@dataclass(frozen=True)
class SessionReview:
    problems: tuple[Problem, ...]
    findings: tuple[Finding, ...]

    @property
    def accepted(self) -> bool:
        """True when the session may be stored without a confirmed reason."""
        return not self.problems and not self.findings


REMS_YES_NO_FIELDS = {
    "vitals_acceptable_before_dose": "whether vital signs were acceptable before the dose",
    "vitals_acceptable_before_leaving": "whether vital signs were acceptable before leaving",
    "effects_resolved_at_end": (
        "whether sedation, dissociation and respiratory depression had resolved"
    ),
    "takes_benzodiazepines": "whether the patient takes benzodiazepines",
    "takes_non_benzodiazepine_sedative_hypnotics": (
        "whether the patient takes non-benzodiazepine sedative hypnotics"
    ),
    "takes_psychostimulants": "whether the patient takes psychostimulants",
    "takes_maois": "whether the patient takes MAOIs",
    "rems_patient_enrolled": "whether the patient is enrolled in the SPRAVATO REMS",
    "rems_first_treatment": "whether this is the patient's first esketamine treatment",
}
