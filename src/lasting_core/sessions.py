"""Session-safety rules for ketamine and esketamine sessions (docs/clinical.md#session-safety).

One place for every rule a session must meet before it is stored, so that a change to the
esketamine label or REMS, or to a clinic's limits, is one edit here. Plain values in,
two lists out (``review_session``):

- *problems*: the session is refused until they are fixed (a missing required field, an
  impossible reading, 45 minutes of esketamine monitoring, a dose in the future);
- *findings*: the session may be stored only with a confirmed reason (a pre-dose blood
  pressure above 140/90, SpO2 below 92 %, a dose outside 0.1-1.0 mg/kg).

Sources (the notes are in ``tests/reference/session_safety.md``):

- Esketamine: SPRAVATO (esketamine) nasal spray, US prescribing information (sections 2
  and 5: 28 mg devices, 56 or 84 mg; blood pressure before dosing and about 40 minutes
  after, when the rise peaks; monitoring for at least 2 hours and until the patient is
  clinically stable; the benefit/risk wording for a baseline above 140/90), and the
  SPRAVATO REMS patient-monitoring form (its fields; submitted within 7 days of each
  session; patients enrolled before treatment).
- IV and IM ketamine: Sanacora G et al., A consensus statement on the use of ketamine in
  the treatment of mood disorders, JAMA Psychiatry 2017;74(4):399-405 (vital signs before,
  during and after the dose; blood pressure above 140/90 and oxygen saturation to be
  weighed before dosing; the dose range studied).
- Sedation: the Modified Observer's Assessment of Alertness/Sedation scale (MOAA/S),
  Chernik DA et al., J Clin Psychopharmacol 1990;10(4):244-251, as used in the esketamine
  trials (5 = awake, 0 = no response to a painful stimulus).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


def check_reading(reading: Reading, limits: VitalLimits | None = None) -> list[Problem]:
    """Return why a set of vital signs cannot be real (empty when it can)."""
    limits = limits or VitalLimits()
    problems: list[Problem] = []
    for name, label, unit in (
        ("systolic_mmhg", "Systolic", " mmHg"),
        ("diastolic_mmhg", "Diastolic", " mmHg"),
        ("heart_rate_bpm", "Heart rate", " bpm"),
        ("spo2_percent", "SpO₂", " %"),
    ):
        value = getattr(reading, name)
        allowed: Limits = getattr(limits, name)
        if value not in allowed:
            problems.append(
                Problem(
                    name,
                    f"{label} {value}{unit} is not a possible reading "
                    f"(accepted: {allowed.low}–{allowed.high}{unit}).",
                )
            )
    if reading.diastolic_mmhg >= reading.systolic_mmhg:
        problems.append(
            Problem(
                "diastolic_mmhg",
                f"Diastolic {reading.diastolic_mmhg} mmHg must be below the systolic "
                f"{reading.systolic_mmhg} mmHg.",
            )
        )
    return problems


def review_session(
    record: SessionRecord, *, now: datetime, rules: SessionRules | None = None
) -> SessionReview:
    """Return what refuses the session and what needs a confirmed reason.

    1. Times: nothing in the future; monitoring ends after the dose.
    2. Readings: physiologically possible, within the session, phases that fit their time,
       one before the dose.
    3. Scores on their scales; SpO2 below the threshold on any reading is a finding.
    4. The route's own rules: IV/IM (Sanacora 2017) or esketamine (label and REMS).
    """
    rules = rules or SessionRules()
    problems: list[Problem] = []
    findings: list[Finding] = []
    problems += _time_problems(record, now)
    problems += _reading_problems(record, now, rules)
    problems += _scale_problems(record)
    findings += _spo2_findings(record, rules)
    if record.route in (Route.IV, Route.IM):
        problems += _ketamine_problems(record, rules)
        findings += _ketamine_findings(record, rules.ketamine)
    elif record.route == Route.INTRANASAL_ESKETAMINE:
        problems += _esketamine_problems(record, rules.esketamine)
        findings += _esketamine_findings(record, rules.esketamine)
    return SessionReview(problems=tuple(problems), findings=tuple(findings))


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


def _time_problems(record: SessionRecord, now: datetime) -> list[Problem]:
    problems: list[Problem] = []
    if record.started_at > now:
        problems.append(Problem("started_at", "The dose time is in the future."))
    if record.ended_at is not None:
        if record.ended_at < record.started_at:
            problems.append(Problem("ended_at", "Monitoring cannot end before the dose."))
        elif record.ended_at > now:
            problems.append(
                Problem(
                    "ended_at",
                    "The end of monitoring is in the future: log the session once "
                    "monitoring has ended.",
                )
            )
    return problems


def _reading_problems(record: SessionRecord, now: datetime, rules: SessionRules) -> list[Problem]:
    problems: list[Problem] = []
    earliest = record.started_at - timedelta(minutes=rules.readings_before_minutes)
    end = record.ended_at or record.started_at + timedelta(minutes=rules.open_session_minutes)
    latest = max(end, record.started_at) + timedelta(minutes=rules.readings_after_end_minutes)
    for reading in record.readings:
        where = f"The reading {PHASE_WORDS[reading.phase]} ({_offset(record, reading)})"
        for problem in check_reading(reading, rules.vitals):
            problems.append(Problem("readings", f"{where}: {problem.message}"))
        if reading.measured_at > now:
            problems.append(Problem("readings", f"{where} is in the future."))
        elif not earliest <= reading.measured_at <= latest:
            problems.append(
                Problem(
                    "readings",
                    f"{where} is outside the session (from "
                    f"{rules.readings_before_minutes // 60} hours before the dose to "
                    f"{rules.readings_after_end_minutes} minutes after monitoring ends).",
                )
            )
        before_phase = reading.phase == ReadingPhase.BEFORE
        if before_phase and reading.measured_at > record.started_at:
            problems.append(Problem("readings", f"{where} was taken after the dose."))
        if not before_phase and reading.measured_at < record.started_at:
            problems.append(Problem("readings", f"{where} was taken before the dose."))
    if not any(reading.phase == ReadingPhase.BEFORE for reading in record.readings):
        problems.append(Problem("readings", "Record vital signs before the dose."))
    return problems


def _offset(record: SessionRecord, reading: Reading) -> str:
    minutes = round((reading.measured_at - record.started_at).total_seconds() / 60)
    if minutes < 0:
        return f"{-minutes} min before the dose"
    return f"{minutes} min after the dose"


def _scale_problems(record: SessionRecord) -> list[Problem]:
    problems: list[Problem] = []
    if record.sedation is not None and record.sedation not in {level.score for level in MOAAS}:
        problems.append(Problem("sedation", "Sedation is scored on the MOAA/S, 5 to 0."))
    dissociation_scores = {level.score for level in DISSOCIATION}
    if record.dissociation is not None and record.dissociation not in dissociation_scores:
        problems.append(Problem("dissociation", "Dissociation is scored 0 (none) to 4."))
    if record.route != Route.OTHER:
        if record.sedation is None:
            problems.append(Problem("sedation", "Record the deepest sedation on the MOAA/S."))
        if record.dissociation is None:
            problems.append(Problem("dissociation", "Record the dissociation score."))
    return problems


def _spo2_findings(record: SessionRecord, rules: SessionRules) -> list[Finding]:
    threshold = rules.ketamine.spo2_below
    low = [r for r in record.readings if r.spo2_percent < threshold]
    if not low:
        return []
    lowest = min(low, key=lambda r: r.spo2_percent)
    return [
        Finding(
            FindingCode.SPO2_LOW,
            f"SpO₂ {lowest.spo2_percent} % {PHASE_WORDS[lowest.phase]} is below "
            f"{threshold} % (Sanacora 2017 consensus): confirm what was done and why the "
            "session went ahead.",
        )
    ]


def _latest_before_dose(record: SessionRecord) -> Reading | None:
    before = [r for r in record.readings if r.phase == ReadingPhase.BEFORE]
    return max(before, key=lambda r: r.measured_at) if before else None


def _ketamine_problems(record: SessionRecord, rules: SessionRules) -> list[Problem]:
    problems: list[Problem] = []
    route = ROUTE_WORDS[record.route]
    if record.ended_at is None:
        problems.append(Problem("ended_at", f"{route}: enter the end of monitoring."))
    missing = [
        PHASE_WORDS[phase].removesuffix(" the dose")
        for phase in rules.ketamine.required_phases
        if phase != ReadingPhase.BEFORE and not _has_phase(record, phase)
    ]
    if missing:
        problems.append(
            Problem(
                "readings",
                f"{route}: record vital signs {' and '.join(missing)} the dose.",
            )
        )
    if record.dose_mg is None or record.dose_mg <= 0:
        problems.append(Problem("dose_mg", f"{route}: enter the dose in mg."))
    if record.dose_mg_per_kg is None or record.dose_mg_per_kg <= 0:
        problems.append(Problem("dose_mg_per_kg", f"{route}: enter the dose in mg/kg."))
    elif record.dose_mg is not None and record.dose_mg > 0:
        weight_kg = record.dose_mg / record.dose_mg_per_kg
        if weight_kg not in rules.vitals.implied_weight_kg:
            problems.append(
                Problem(
                    "dose_mg",
                    f"{record.dose_mg:g} mg at {record.dose_mg_per_kg:g} mg/kg means a "
                    f"patient of {weight_kg:.0f} kg: one of the two figures is wrong.",
                )
            )
    return problems


def _has_phase(record: SessionRecord, phase: ReadingPhase) -> bool:
    """True when a reading covers `phase`; a reading at discharge is also after the dose."""
    phases = {phase, ReadingPhase.DISCHARGE} if phase == ReadingPhase.AFTER else {phase}
    return any(r.phase in phases for r in record.readings)


def _ketamine_findings(record: SessionRecord, rules: KetamineRules) -> list[Finding]:
    findings: list[Finding] = []
    before = _latest_before_dose(record)
    if before is not None and (
        before.systolic_mmhg > rules.pre_dose_systolic_above
        or before.diastolic_mmhg > rules.pre_dose_diastolic_above
    ):
        findings.append(
            Finding(
                FindingCode.PRE_DOSE_BP_HIGH,
                f"Blood pressure before the dose {before.systolic_mmhg}/"
                f"{before.diastolic_mmhg} mmHg is above {rules.pre_dose_systolic_above}/"
                f"{rules.pre_dose_diastolic_above} (Sanacora 2017 consensus): confirm why "
                "the dose was given.",
            )
        )
    per_kg = record.dose_mg_per_kg
    if per_kg is not None and not rules.dose_mg_per_kg_low <= per_kg <= rules.dose_mg_per_kg_high:
        findings.append(
            Finding(
                FindingCode.DOSE_PER_KG_OUTSIDE_RANGE,
                f"A dose of {per_kg:g} mg/kg is outside {rules.dose_mg_per_kg_low:g}–"
                f"{rules.dose_mg_per_kg_high:g} mg/kg, the range studied (Sanacora 2017 "
                "consensus): confirm the reason.",
            )
        )
    return findings


def _esketamine_problems(record: SessionRecord, rules: EsketamineRules) -> list[Problem]:
    """The label and the REMS patient-monitoring form, field by field."""
    problems = _esketamine_dose_problems(record, rules)
    if not record.lot_number.strip():
        problems.append(Problem("lot_number", "Esketamine: enter the lot number."))
    if not record.monitoring_clinician.strip():
        problems.append(
            Problem("monitoring_clinician", "Esketamine: name who monitored the patient.")
        )
    minutes = record.monitored_minutes
    if record.ended_at is None:
        problems.append(Problem("ended_at", "Esketamine: enter the end of monitoring."))
    elif minutes is not None and 0 <= minutes < rules.min_monitoring_minutes:
        problems.append(
            Problem(
                "ended_at",
                f"Esketamine: monitoring lasted {minutes} minutes; the label and the REMS "
                f"require at least {_hours(rules.min_monitoring_minutes)} "
                f"({rules.min_monitoring_minutes} minutes) from the first device, and until "
                "sedation, dissociation and respiratory depression have resolved.",
            )
        )
    ready = record.ready_to_leave_minutes
    if ready is None:
        problems.append(
            Problem(
                "ready_to_leave_minutes",
                "Esketamine: enter when the patient would have been ready to leave "
                "(minutes from the first device).",
            )
        )
    elif ready < 0 or (minutes is not None and minutes >= 0 and ready > minutes):
        problems.append(
            Problem(
                "ready_to_leave_minutes",
                f"Ready to leave at {ready} minutes is after monitoring ended: monitoring "
                "continues until the patient is ready to leave.",
            )
        )
    for name, words in REMS_YES_NO_FIELDS.items():
        if getattr(record, name) is None:
            problems.append(Problem(name, f"Esketamine: answer {words}."))
    if record.effects_resolved_at_end is False:
        problems.append(
            Problem(
                "effects_resolved_at_end",
                "Esketamine: monitoring continues until sedation, dissociation and "
                "respiratory depression have resolved; log the session when they have.",
            )
        )
    if record.rems_patient_enrolled is False:
        problems.append(
            Problem(
                "rems_patient_enrolled",
                "Enrol the patient in the SPRAVATO REMS before treatment.",
            )
        )
    problems += _esketamine_reading_problems(record, rules)
    return problems


def _hours(minutes: int) -> str:
    return f"{minutes // 60} hours" if minutes % 60 == 0 else f"{minutes} minutes"


def _esketamine_dose_problems(record: SessionRecord, rules: EsketamineRules) -> list[Problem]:
    dose = record.dose_mg
    doses = " or ".join(f"{mg} mg" for mg in rules.labelled_doses_mg)
    if dose is None or dose <= 0:
        return [Problem("dose_mg", f"Esketamine: choose the dose ({doses}, or other).")]
    if dose in rules.labelled_doses_mg:
        return []
    if dose > rules.max_dose_mg:
        return [
            Problem(
                "dose_mg",
                f"Esketamine {dose:g} mg is refused: {rules.max_dose_mg} mg is the highest "
                "dose in the label.",
            )
        ]
    if dose % rules.device_mg:
        return [
            Problem(
                "dose_mg",
                f"Esketamine comes in {rules.device_mg} mg devices: {dose:g} mg is not a "
                f"whole number of devices ({doses}).",
            )
        ]
    if not record.dose_reason.strip():
        return [
            Problem(
                "dose_reason",
                f"Esketamine {dose:g} mg is not a labelled dose ({doses}): give the reason.",
            )
        ]
    return []


def _esketamine_reading_problems(record: SessionRecord, rules: EsketamineRules) -> list[Problem]:
    problems: list[Problem] = []
    earliest = record.started_at + timedelta(minutes=rules.post_dose_bp_earliest_minutes)
    latest = record.started_at + timedelta(minutes=rules.post_dose_bp_latest_minutes)
    post_dose = (ReadingPhase.DURING, ReadingPhase.AFTER)
    if not any(
        r.phase in post_dose and earliest <= r.measured_at <= latest for r in record.readings
    ):
        problems.append(
            Problem(
                "readings",
                "Esketamine: record blood pressure about 40 minutes after the first device "
                f"(between {rules.post_dose_bp_earliest_minutes} and "
                f"{rules.post_dose_bp_latest_minutes} minutes after it).",
            )
        )
    discharge = [r for r in record.readings if r.phase == ReadingPhase.DISCHARGE]
    if not discharge:
        problems.append(Problem("readings", "Esketamine: record blood pressure before leaving."))
    elif record.ended_at is not None:
        window_start = record.ended_at - timedelta(minutes=rules.discharge_bp_within_minutes_of_end)
        if not any(r.measured_at >= window_start for r in discharge):
            problems.append(
                Problem(
                    "readings",
                    "Esketamine: the blood pressure before leaving must be taken in the last "
                    f"{rules.discharge_bp_within_minutes_of_end} minutes of monitoring.",
                )
            )
    return problems


def _esketamine_findings(record: SessionRecord, rules: EsketamineRules) -> list[Finding]:
    findings: list[Finding] = []
    before = _latest_before_dose(record)
    if before is not None and (
        before.systolic_mmhg > rules.pre_dose_systolic_above
        or before.diastolic_mmhg > rules.pre_dose_diastolic_above
    ):
        findings.append(
            Finding(
                FindingCode.PRE_DOSE_BP_HIGH,
                f"Blood pressure before the dose {before.systolic_mmhg}/"
                f"{before.diastolic_mmhg} mmHg is above {rules.pre_dose_systolic_above}/"
                f"{rules.pre_dose_diastolic_above}. The esketamine label asks to consider the "
                "risk of short-term increases in blood pressure against the benefit of "
                "treatment, and not to give it if an increase in blood pressure or "
                "intracranial pressure poses a serious risk: record the decision and why.",
            )
        )
    if record.vitals_acceptable_before_dose is False:
        findings.append(
            Finding(
                FindingCode.VITALS_NOT_ACCEPTABLE_BEFORE_DOSE,
                "Vital signs were not in an acceptable range before the dose: confirm why "
                "esketamine was given.",
            )
        )
    if record.vitals_acceptable_before_leaving is False:
        findings.append(
            Finding(
                FindingCode.VITALS_NOT_ACCEPTABLE_BEFORE_LEAVING,
                "Vital signs were not in an acceptable range before leaving: confirm what "
                "was done.",
            )
        )
    return findings
