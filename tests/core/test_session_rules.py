"""Session-safety rules: what is refused, what needs a confirmed reason.

The rules for a clinician: docs/clinical.md#session-safety.

Sources are in tests/reference/session_safety.md: the SPRAVATO prescribing information and
REMS patient-monitoring form for esketamine, the Sanacora 2017 consensus for IV/IM
ketamine, Chernik 1990 for the MOAA/S scale.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from lasting_core.sessions import (
    MOAAS,
    EsketamineRules,
    FindingCode,
    KetamineRules,
    Reading,
    ReadingPhase,
    Route,
    SessionRecord,
    SessionRules,
    VitalLimits,
    check_reading,
    is_form_overdue,
    moaas_label,
    monitoring_form_due_on,
    rems_blood_pressures,
    review_session,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DOSE_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def reading(phase: ReadingPhase, minutes: float, **values: int) -> Reading:
    fields = {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 76, "spo2_percent": 98}
    fields.update(values)
    return Reading(phase=phase, measured_at=DOSE_AT + timedelta(minutes=minutes), **fields)


def iv_session(**overrides: object) -> SessionRecord:
    """Paul's IV infusion: 0.5 mg/kg over 40 minutes, monitored 90 minutes, all readings."""
    record = SessionRecord(
        route=Route.IV,
        started_at=DOSE_AT,
        ended_at=DOSE_AT + timedelta(minutes=90),
        dose_mg=40.0,
        dose_mg_per_kg=0.5,
        sedation=4,
        dissociation=2,
        readings=(
            reading(ReadingPhase.BEFORE, -5),
            reading(ReadingPhase.DURING, 20),
            reading(ReadingPhase.AFTER, 45),
        ),
    )
    return replace(record, **overrides)  # type: ignore[arg-type]


def iv_readings_with(replacement: Reading) -> tuple[Reading, ...]:
    """Paul's IV readings with the one of the same phase replaced."""
    return tuple(replacement if r.phase == replacement.phase else r for r in iv_session().readings)


def esketamine_session(**overrides: object) -> SessionRecord:
    """Paul's esketamine session, complete as the REMS patient-monitoring form asks."""
    record = SessionRecord(
        route=Route.INTRANASAL_ESKETAMINE,
        started_at=DOSE_AT,
        ended_at=DOSE_AT + timedelta(minutes=125),
        dose_mg=84.0,
        lot_number="EK2291",
        sedation=4,
        dissociation=1,
        respiratory_depression=False,
        monitoring_clinician="Elena Marsh",
        ready_to_leave_minutes=95,
        vitals_acceptable_before_dose=True,
        vitals_acceptable_before_leaving=True,
        effects_resolved_at_end=True,
        takes_benzodiazepines=False,
        takes_non_benzodiazepine_sedative_hypnotics=False,
        takes_psychostimulants=False,
        takes_maois=False,
        rems_patient_enrolled=True,
        rems_first_treatment=False,
        readings=(
            reading(ReadingPhase.BEFORE, -10),
            reading(ReadingPhase.AFTER, 40, systolic_mmhg=138),
            reading(ReadingPhase.DISCHARGE, 115),
        ),
    )
    return replace(record, **overrides)  # type: ignore[arg-type]


def problem_fields(record: SessionRecord) -> list[str]:
    return [problem.field for problem in review_session(record, now=NOW).problems]


def messages(record: SessionRecord) -> str:
    return " ".join(problem.message for problem in review_session(record, now=NOW).problems)


def finding_codes(record: SessionRecord) -> list[FindingCode]:
    return [finding.code for finding in review_session(record, now=NOW).findings]


class TestCompleteSessions:
    def test_a_complete_iv_session_has_no_problem_and_no_finding(self) -> None:
        review = review_session(iv_session(), now=NOW)
        assert review.problems == ()
        assert review.findings == ()
        assert review.accepted

    def test_a_complete_esketamine_session_has_no_problem_and_no_finding(self) -> None:
        review = review_session(esketamine_session(), now=NOW)
        assert review.problems == ()
        assert review.findings == ()


class TestEsketamineFollowsTheLabelAndTheRems:
    def test_45_minutes_of_monitoring_is_refused_with_the_two_hour_rule(self) -> None:
        record = esketamine_session(
            ended_at=DOSE_AT + timedelta(minutes=45),
            ready_to_leave_minutes=40,
            readings=(
                reading(ReadingPhase.BEFORE, -10),
                reading(ReadingPhase.AFTER, 40),
                reading(ReadingPhase.DISCHARGE, 44),
            ),
        )
        assert problem_fields(record) == ["ended_at"]
        assert "45 minutes" in messages(record)
        assert "at least 2 hours" in messages(record)

    def test_exactly_two_hours_is_enough(self) -> None:
        record = esketamine_session(ended_at=DOSE_AT + timedelta(minutes=120))
        assert problem_fields(record) == []

    def test_the_minimum_is_one_setting(self) -> None:
        rules = SessionRules(esketamine=EsketamineRules(min_monitoring_minutes=150))
        review = review_session(esketamine_session(), now=NOW, rules=rules)
        assert [problem.field for problem in review.problems] == ["ended_at"]
        assert "150 minutes" in review.problems[0].message

    def test_a_session_without_an_end_of_monitoring_is_refused(self) -> None:
        record = esketamine_session(ended_at=None)
        assert "ended_at" in problem_fields(record)
        assert "end of monitoring" in messages(record)

    def test_monitoring_continues_until_the_effects_have_resolved(self) -> None:
        record = esketamine_session(effects_resolved_at_end=False)
        assert problem_fields(record) == ["effects_resolved_at_end"]
        assert "sedation, dissociation and respiratory depression" in messages(record)

    def test_without_blood_pressure_before_leaving_it_is_refused(self) -> None:
        record = esketamine_session(readings=esketamine_session().readings[:2])
        assert problem_fields(record) == ["readings"]
        assert "before leaving" in messages(record)

    def test_without_blood_pressure_about_40_minutes_after_the_dose_it_is_refused(self) -> None:
        too_early = (
            reading(ReadingPhase.BEFORE, -10),
            reading(ReadingPhase.AFTER, 25),
            reading(ReadingPhase.DISCHARGE, 115),
        )
        record = esketamine_session(readings=too_early)
        assert problem_fields(record) == ["readings"]
        assert "about 40 minutes after" in messages(record)

    def test_a_reading_at_41_minutes_counts_as_about_40(self) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -10),
            reading(ReadingPhase.AFTER, 41),
            reading(ReadingPhase.DISCHARGE, 115),
        )
        assert problem_fields(esketamine_session(readings=readings)) == []

    def test_a_blood_pressure_before_leaving_taken_long_before_the_end_is_refused(self) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -10),
            reading(ReadingPhase.AFTER, 40),
            reading(ReadingPhase.DISCHARGE, 50),
        )
        assert problem_fields(esketamine_session(readings=readings)) == ["readings"]

    @pytest.mark.parametrize("dose_mg", [56.0, 84.0])
    def test_the_labelled_doses_need_no_reason(self, dose_mg: float) -> None:
        assert problem_fields(esketamine_session(dose_mg=dose_mg)) == []

    def test_70_mg_is_not_a_whole_number_of_28_mg_devices(self) -> None:
        record = esketamine_session(dose_mg=70.0, dose_reason="tolerability")
        assert problem_fields(record) == ["dose_mg"]
        assert "28 mg devices" in messages(record)
        assert "70 mg" in messages(record)

    def test_1000_mg_is_refused_as_above_the_highest_labelled_dose(self) -> None:
        record = esketamine_session(dose_mg=1000.0, dose_reason="typo")
        assert problem_fields(record) == ["dose_mg"]
        assert "84 mg" in messages(record)

    def test_another_whole_device_dose_needs_a_reason(self) -> None:
        assert problem_fields(esketamine_session(dose_mg=28.0)) == ["dose_reason"]
        reasoned = esketamine_session(dose_mg=28.0, dose_reason="Tolerability after session 1")
        assert problem_fields(reasoned) == []

    def test_a_missing_dose_is_named(self) -> None:
        assert problem_fields(esketamine_session(dose_mg=None)) == ["dose_mg"]

    @pytest.mark.parametrize(
        "field",
        [
            "lot_number",
            "monitoring_clinician",
            "ready_to_leave_minutes",
            "vitals_acceptable_before_dose",
            "vitals_acceptable_before_leaving",
            "effects_resolved_at_end",
            "sedation",
            "dissociation",
            "takes_benzodiazepines",
            "takes_non_benzodiazepine_sedative_hypnotics",
            "takes_psychostimulants",
            "takes_maois",
            "rems_patient_enrolled",
            "rems_first_treatment",
        ],
    )
    def test_every_field_of_the_monitoring_form_is_required(self, field: str) -> None:
        empty: object = "" if field in ("lot_number", "monitoring_clinician") else None
        assert problem_fields(esketamine_session(**{field: empty})) == [field]

    def test_a_patient_not_enrolled_in_the_rems_cannot_be_treated(self) -> None:
        record = esketamine_session(rems_patient_enrolled=False)
        assert problem_fields(record) == ["rems_patient_enrolled"]
        assert "Enrol" in messages(record)

    def test_ready_to_leave_cannot_be_after_monitoring_ended(self) -> None:
        record = esketamine_session(ready_to_leave_minutes=130)
        assert problem_fields(record) == ["ready_to_leave_minutes"]

    def test_a_pre_dose_blood_pressure_above_140_over_90_asks_for_a_decision(self) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -10, systolic_mmhg=152, diastolic_mmhg=94),
            *esketamine_session().readings[1:],
        )
        review = review_session(esketamine_session(readings=readings), now=NOW)
        assert review.problems == ()
        (finding,) = review.findings
        assert finding.code == FindingCode.PRE_DOSE_BP_HIGH
        assert "152/94" in finding.message
        assert "benefit" in finding.message
        assert "serious risk" in finding.message
        assert not review.accepted

    def test_the_latest_pre_dose_reading_decides(self) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -30, systolic_mmhg=152, diastolic_mmhg=94),
            reading(ReadingPhase.BEFORE, -10, systolic_mmhg=136, diastolic_mmhg=86),
            *esketamine_session().readings[1:],
        )
        assert finding_codes(esketamine_session(readings=readings)) == []

    @pytest.mark.parametrize(("systolic", "diastolic"), [(140, 90), (141, 80), (130, 91)])
    def test_above_means_strictly_above(self, systolic: int, diastolic: int) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -10, systolic_mmhg=systolic, diastolic_mmhg=diastolic),
            *esketamine_session().readings[1:],
        )
        codes = finding_codes(esketamine_session(readings=readings))
        expected = [FindingCode.PRE_DOSE_BP_HIGH] if (systolic, diastolic) != (140, 90) else []
        assert codes == expected

    def test_vitals_not_acceptable_before_the_dose_ask_for_a_reason(self) -> None:
        record = esketamine_session(vitals_acceptable_before_dose=False)
        assert finding_codes(record) == [FindingCode.VITALS_NOT_ACCEPTABLE_BEFORE_DOSE]

    def test_the_rems_form_takes_the_last_pre_dose_the_nearest_to_40_and_the_last_reading(
        self,
    ) -> None:
        readings = (
            reading(ReadingPhase.BEFORE, -30, systolic_mmhg=150),
            reading(ReadingPhase.BEFORE, -10, systolic_mmhg=132),
            reading(ReadingPhase.AFTER, 58, systolic_mmhg=141),
            reading(ReadingPhase.AFTER, 42, systolic_mmhg=145),
            reading(ReadingPhase.AFTER, 90, systolic_mmhg=139),
            reading(ReadingPhase.DISCHARGE, 100, systolic_mmhg=130),
            reading(ReadingPhase.DISCHARGE, 118, systolic_mmhg=126),
        )
        picked = rems_blood_pressures(DOSE_AT, readings)
        assert picked.before_dose is not None
        assert picked.before_dose.systolic_mmhg == 132
        assert picked.about_40_minutes is not None
        assert picked.about_40_minutes.systolic_mmhg == 145
        assert picked.before_leaving is not None
        assert picked.before_leaving.systolic_mmhg == 126

    def test_the_rems_form_leaves_a_blood_pressure_empty_when_none_fits(self) -> None:
        picked = rems_blood_pressures(DOSE_AT, (reading(ReadingPhase.AFTER, 90),))
        assert picked == type(picked)(None, None, None)

    def test_the_monitoring_form_is_due_seven_calendar_days_after_the_session(self) -> None:
        assert monitoring_form_due_on(date(2026, 11, 20)) == date(2026, 11, 27)
        assert monitoring_form_due_on(date(2026, 12, 28)) == date(2027, 1, 4)

    def test_a_form_is_overdue_the_day_after_it_was_due(self) -> None:
        due_on = date(2026, 11, 27)
        assert not is_form_overdue(due_on, today=date(2026, 11, 27))
        assert is_form_overdue(due_on, today=date(2026, 11, 28))


class TestIvAndImKetamineFollowTheConsensus:
    @pytest.mark.parametrize(
        ("phase", "remaining"),
        [
            (ReadingPhase.BEFORE, (ReadingPhase.DURING, ReadingPhase.AFTER)),
            (ReadingPhase.DURING, (ReadingPhase.BEFORE, ReadingPhase.AFTER)),
            (ReadingPhase.AFTER, (ReadingPhase.BEFORE, ReadingPhase.DURING)),
        ],
    )
    def test_readings_before_during_and_after_the_dose_are_required(
        self, phase: ReadingPhase, remaining: tuple[ReadingPhase, ...]
    ) -> None:
        kept = tuple(r for r in iv_session().readings if r.phase in remaining)
        record = iv_session(readings=kept)
        assert problem_fields(record) == ["readings"]
        assert phase.value in messages(record).lower()

    def test_a_reading_at_discharge_counts_as_after_the_dose(self) -> None:
        readings = (*iv_session().readings[:2], reading(ReadingPhase.DISCHARGE, 85))
        assert problem_fields(iv_session(readings=readings)) == []

    def test_im_ketamine_has_the_same_rules(self) -> None:
        record = iv_session(route=Route.IM, readings=iv_session().readings[:1])
        assert problem_fields(record) == ["readings"]

    def test_a_pre_dose_blood_pressure_above_140_over_90_needs_a_reason(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.BEFORE, -5, systolic_mmhg=146))
        assert finding_codes(iv_session(readings=readings)) == [FindingCode.PRE_DOSE_BP_HIGH]

    def test_spo2_below_92_needs_a_reason(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.DURING, 20, spo2_percent=90))
        review = review_session(iv_session(readings=readings), now=NOW)
        assert [finding.code for finding in review.findings] == [FindingCode.SPO2_LOW]
        assert "90 %" in review.findings[0].message

    def test_spo2_of_92_is_not_below_92(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.DURING, 20, spo2_percent=92))
        assert finding_codes(iv_session(readings=readings)) == []

    @pytest.mark.parametrize(
        ("mg_per_kg", "needs_reason"), [(0.09, True), (0.1, False), (1.0, False), (1.2, True)]
    )
    def test_a_dose_outside_0_1_to_1_mg_per_kg_needs_a_reason(
        self, mg_per_kg: float, needs_reason: bool
    ) -> None:
        record = iv_session(dose_mg=80 * mg_per_kg, dose_mg_per_kg=mg_per_kg)
        codes = finding_codes(record)
        assert codes == ([FindingCode.DOSE_PER_KG_OUTSIDE_RANGE] if needs_reason else [])

    def test_the_dose_per_kg_is_required(self) -> None:
        assert problem_fields(iv_session(dose_mg_per_kg=None)) == ["dose_mg_per_kg"]

    def test_mg_and_mg_per_kg_that_imply_an_impossible_weight_are_refused(self) -> None:
        record = iv_session(dose_mg=1000.0, dose_mg_per_kg=0.5)
        assert problem_fields(record) == ["dose_mg"]
        assert "2000 kg" in messages(record)

    def test_the_end_of_monitoring_is_required(self) -> None:
        assert problem_fields(iv_session(ended_at=None)) == ["ended_at"]

    def test_the_thresholds_are_settings(self) -> None:
        rules = SessionRules(ketamine=KetamineRules(spo2_below=95))
        readings = iv_readings_with(reading(ReadingPhase.DURING, 20, spo2_percent=94))
        review = review_session(iv_session(readings=readings), now=NOW, rules=rules)
        assert [finding.code for finding in review.findings] == [FindingCode.SPO2_LOW]


class TestImpossibleValuesAndTimes:
    def test_a_diastolic_at_or_above_the_systolic_is_refused(self) -> None:
        problems = check_reading(reading(ReadingPhase.BEFORE, -5, diastolic_mmhg=128))
        assert [problem.field for problem in problems] == ["diastolic_mmhg"]
        assert "below the systolic" in problems[0].message

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("heart_rate_bpm", 19),
            ("heart_rate_bpm", 251),
            ("spo2_percent", 49),
            ("spo2_percent", 101),
            ("systolic_mmhg", 300),
            ("diastolic_mmhg", 10),
        ],
    )
    def test_values_outside_physiological_limits_are_refused(self, field: str, value: int) -> None:
        problems = check_reading(reading(ReadingPhase.BEFORE, -5, **{field: value}))
        assert field in [problem.field for problem in problems]

    def test_the_limits_themselves_are_accepted(self) -> None:
        limits = VitalLimits()
        edge = reading(
            ReadingPhase.BEFORE,
            -5,
            heart_rate_bpm=limits.heart_rate_bpm.high,
            spo2_percent=limits.spo2_percent.low,
        )
        assert check_reading(edge) == []

    def test_an_impossible_reading_refuses_the_session(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.BEFORE, -5, spo2_percent=140))
        assert problem_fields(iv_session(readings=readings)) == ["readings"]
        assert "SpO₂ 140 %" in messages(iv_session(readings=readings))

    def test_a_session_dated_in_the_future_is_refused(self) -> None:
        later = NOW + timedelta(minutes=1)
        record = iv_session(
            started_at=later,
            ended_at=later + timedelta(minutes=90),
            readings=tuple(
                replace(r, measured_at=r.measured_at + (later - DOSE_AT))
                for r in iv_session().readings
            ),
        )
        assert "started_at" in problem_fields(record)
        assert "future" in messages(record)

    def test_an_end_of_monitoring_in_the_future_is_refused(self) -> None:
        record = iv_session(ended_at=NOW + timedelta(hours=1))
        assert problem_fields(record) == ["ended_at"]

    def test_a_session_cannot_end_before_it_starts(self) -> None:
        record = iv_session(ended_at=DOSE_AT - timedelta(minutes=1))
        assert "ended_at" in problem_fields(record)

    def test_a_reading_labelled_before_the_dose_taken_after_it_is_refused(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.BEFORE, 10))
        assert problem_fields(iv_session(readings=readings)) == ["readings"]

    def test_a_reading_far_from_the_session_is_refused(self) -> None:
        readings = iv_readings_with(reading(ReadingPhase.BEFORE, -7 * 24 * 60))
        record = iv_session(readings=readings)
        assert problem_fields(record) == ["readings"]
        assert "outside the session" in messages(record)

    @pytest.mark.parametrize(("field", "value"), [("sedation", 6), ("dissociation", 5)])
    def test_scores_outside_their_scale_are_refused(self, field: str, value: int) -> None:
        assert problem_fields(iv_session(**{field: value})) == [field]


class TestMoaasScale:
    def test_five_is_awake_and_zero_is_no_response_to_a_painful_stimulus(self) -> None:
        assert [level.score for level in MOAAS] == [5, 4, 3, 2, 1, 0]
        assert moaas_label(5).startswith("Responds readily to name spoken in normal tone")
        assert "painful" in moaas_label(0)
        assert moaas_label(0).startswith("Does not respond")

    def test_an_unknown_score_has_no_label(self) -> None:
        with pytest.raises(ValueError):
            moaas_label(6)


class TestSettings:
    def test_settings_refuse_nonsense(self) -> None:
        with pytest.raises(ValueError):
            EsketamineRules(labelled_doses_mg=(56, 70))
        with pytest.raises(ValueError):
            KetamineRules(dose_mg_per_kg_low=1.0, dose_mg_per_kg_high=0.5)
