"""Review a session against the rules: problems refuse it, findings need a reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from lasting_core.sessions.rules import (
    DISSOCIATION,
    MOAAS,
    PHASE_WORDS,
    REMS_YES_NO_FIELDS,
    ROUTE_WORDS,
    EsketamineRules,
    Finding,
    FindingCode,
    KetamineRules,
    Limits,
    Problem,
    Reading,
    ReadingPhase,
    Route,
    SessionRecord,
    SessionReview,
    SessionRules,
    VitalLimits,
)


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


def _high_pre_dose_pressure(
    record: SessionRecord, rules: KetamineRules | EsketamineRules
) -> str | None:
    """Say how the last blood pressure before the dose exceeds the route's limit, if it does.

    Both routes flag above 140/90, from different sources (Sanacora 2017; the esketamine
    label), so each finding adds its own source and wording to this sentence.
    """
    before = _latest_before_dose(record)
    if before is None or (
        before.systolic_mmhg <= rules.pre_dose_systolic_above
        and before.diastolic_mmhg <= rules.pre_dose_diastolic_above
    ):
        return None
    return (
        f"Blood pressure before the dose {before.systolic_mmhg}/{before.diastolic_mmhg} mmHg "
        f"is above {rules.pre_dose_systolic_above}/{rules.pre_dose_diastolic_above}"
    )


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
    high = _high_pre_dose_pressure(record, rules)
    if high is not None:
        findings.append(
            Finding(
                FindingCode.PRE_DOSE_BP_HIGH,
                f"{high} (Sanacora 2017 consensus): confirm why the dose was given.",
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
    high = _high_pre_dose_pressure(record, rules)
    if high is not None:
        findings.append(
            Finding(
                FindingCode.PRE_DOSE_BP_HIGH,
                f"{high}. The esketamine label asks to consider the "
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
