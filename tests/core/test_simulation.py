"""The patient simulator reproduces its calibration targets and emits well-formed records.

Calibration targets and their sources: tests/reference/durability_anchors.md.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from lasting_core.simulation import (
    DIAGNOSES,
    PRESETS,
    Cohort,
    MaintenancePolicy,
    Preset,
    SessionKind,
    SimulatedPatient,
    get_preset,
    kaplan_meier,
    measure_calibration,
    simulate_cohort,
)
from lasting_core.simulation.calibration import CalibrationReport

DEMO_MIX = {
    MaintenancePolicy.NONE: 0.3,
    MaintenancePolicy.FIXED: 0.3,
    MaintenancePolicy.SYMPTOM: 0.4,
}
INSTRUMENT_SHAPES = {"phq9": (9, 3, 27), "gad7": (7, 3, 21)}


@pytest.fixture(scope="module")
def clinic_year() -> Cohort:
    """A 200-patient clinic over a year with staggered enrolment and mixed policies."""
    return simulate_cohort(200, 365, seed=7, policy_mix=DEMO_MIX)


# 120 days follow everyone from enrolment on day 0 past the end of induction (about day
# 40) and 56 days beyond it, as far as the anchors reach; a longer run adds nothing the
# calibration tests read (S(28), S(56) and the lab median moved by at most 0.01, 0.01 and
# 0 days against 200 days, seeds 2024, 1 and 2).
@pytest.fixture(scope="module")
def real_world_cohort() -> Cohort:
    return simulate_cohort(3000, 120, preset="real-world", seed=2024, enrolment_days=1)


@pytest.fixture(scope="module")
def real_world_report(real_world_cohort: Cohort) -> CalibrationReport:
    return measure_calibration(real_world_cohort)


@pytest.fixture(scope="module")
def lab_cohort() -> Cohort:
    return simulate_cohort(3000, 120, preset="lab", seed=2024, enrolment_days=1)


@pytest.fixture(scope="module")
def untreated_cohort() -> Cohort:
    """The comparison arm of the SUSTAIN-1 check: no maintenance, all enrolled on day 0."""
    return simulate_cohort(2000, 200, seed=5, enrolment_days=1)


def _relapse_days(cohort: Cohort) -> float:
    """Mean days with latent PHQ-9 >= 10 after induction, per responder (arena measure)."""
    days = [
        int(np.sum(p.latent_phq9[p.induction_end_day + 1 :] >= 10))
        for p in cohort.patients
        if p.responded and p.induction_end_day is not None
    ]
    return float(np.mean(days))


def _relapse_rate(cohort: Cohort) -> float:
    """Relapses per person-day of responders who completed induction (crude rate).

    Time at risk runs from the end of induction to the first relapse, censored at
    discontinuation or at the last simulated day.
    """
    events = 0
    exposure = 0
    for p in cohort.patients:
        if not (p.responded and p.completed_induction and p.induction_end_day is not None):
            continue
        end = cohort.days - 1 if p.discontinued_day is None else p.discontinued_day
        if p.relapse_day is not None and p.relapse_day <= end:
            end = p.relapse_day
            events += 1
        exposure += max(end - p.induction_end_day, 0)
    return events / exposure


class TestDeterminism:
    def test_same_seed_gives_the_same_cohort(self) -> None:
        first = simulate_cohort(150, 120, seed=3, policy_mix=DEMO_MIX)
        second = simulate_cohort(150, 120, seed=3, policy_mix=DEMO_MIX)
        assert first == second
        for a, b in zip(first.patients, second.patients, strict=True):
            np.testing.assert_array_equal(a.latent_phq9, b.latent_phq9)

    def test_another_seed_gives_another_cohort(self) -> None:
        first = simulate_cohort(150, 120, seed=3)
        second = simulate_cohort(150, 120, seed=4)
        assert [p.baseline_phq9 for p in first.patients] != [
            p.baseline_phq9 for p in second.patients
        ]
        assert first.patients != second.patients

    def test_patients_are_the_same_under_every_policy(self) -> None:
        """Common random numbers: a policy changes what happens, not who the patient is."""
        none = simulate_cohort(200, 150, seed=9, policy=MaintenancePolicy.NONE)
        fixed = simulate_cohort(200, 150, seed=9, policy=MaintenancePolicy.FIXED)
        for a, b in zip(none.patients, fixed.patients, strict=True):
            assert (a.baseline_phq9, a.diagnosis, a.enrolment_day, a.responded) == (
                b.baseline_phq9,
                b.diagnosis,
                b.enrolment_day,
                b.responded,
            )
            boosters = [s.day for s in b.sessions if s.kind != SessionKind.INDUCTION]
            until = boosters[0] if boosters else 150
            np.testing.assert_array_equal(a.latent_phq9[:until], b.latent_phq9[:until])


class TestRecords:
    def test_totals_lie_within_instrument_ranges_and_items_sum_to_them(
        self, clinic_year: Cohort
    ) -> None:
        counts = {"phq9": 0, "gad7": 0, "daily": 0}
        for patient in clinic_year.patients:
            for observation in patient.observations:
                counts[observation.instrument] += 1
                if observation.instrument == "daily":
                    assert observation.total is None
                    assert len(observation.items) == 3
                    assert all(0 <= item <= 10 for item in observation.items)
                    continue
                n_items, item_max, total_max = INSTRUMENT_SHAPES[observation.instrument]
                assert observation.total is not None
                assert 0 <= observation.total <= total_max
                assert len(observation.items) == n_items
                assert all(0 <= item <= item_max for item in observation.items)
                assert sum(observation.items) == observation.total
        assert all(count > 100 for count in counts.values()), counts

    def test_days_lie_within_the_period_and_records_are_sorted(self, clinic_year: Cohort) -> None:
        for patient in clinic_year.patients:
            session_days = [s.day for s in patient.sessions]
            assert session_days == sorted(set(session_days))
            observation_days = [o.day for o in patient.observations]
            assert observation_days == sorted(observation_days)
            for day in session_days + observation_days:
                assert 0 <= day < clinic_year.days
            assert patient.latent_phq9.shape == (clinic_year.days,)
            assert not patient.latent_phq9.flags.writeable

    def test_latent_is_missing_before_enrolment_and_bounded_after(
        self, clinic_year: Cohort
    ) -> None:
        for patient in clinic_year.patients:
            before = patient.latent_phq9[: patient.enrolment_day]
            after = patient.latent_phq9[patient.enrolment_day :]
            assert np.isnan(before).all()
            assert ((after >= 0) & (after <= 27)).all()

    def test_enrolment_is_staggered_so_every_phase_is_present(self, clinic_year: Cohort) -> None:
        enrolment = [p.enrolment_day for p in clinic_year.patients]
        assert min(enrolment) < 30
        assert max(enrolment) > 330
        still_in_evaluation = [p for p in clinic_year.patients if p.induction_end_day is None]
        discontinued = [p for p in clinic_year.patients if p.discontinued_day is not None]
        assert still_in_evaluation
        assert discontinued

    def test_course_starts_with_evaluation_then_induction(self, clinic_year: Cohort) -> None:
        for patient in clinic_year.patients:
            induction = [s.day for s in patient.sessions if s.kind == SessionKind.INDUCTION]
            if patient.induction_end_day is None:
                continue
            expected_sessions = 1 if patient.stopped_after_first else 6
            assert len(induction) == expected_sessions
            if not patient.stopped_after_first:
                assert 13 <= induction[-1] - induction[0] <= 20
            evaluation = [
                o for o in patient.observations if o.instrument == "phq9" and o.day < induction[0]
            ]
            assert 1 <= len(evaluation) <= 2
            assert evaluation[0].day == patient.enrolment_day
            assert 7 <= induction[0] - patient.enrolment_day <= 21

    def test_nothing_is_recorded_after_discontinuation(self, clinic_year: Cohort) -> None:
        for patient in clinic_year.patients:
            if patient.discontinued_day is None:
                continue
            assert all(o.day < patient.discontinued_day for o in patient.observations)
            assert all(s.day < patient.discontinued_day for s in patient.sessions)

    def test_outcome_flags_are_consistent(self, clinic_year: Cohort) -> None:
        for patient in clinic_year.patients:
            assert not patient.remitted or patient.responded
            assert not (patient.responded and patient.worsened)
            if patient.relapse_day is not None:
                assert patient.responded
                assert patient.relapse_onset_day is not None
                assert patient.relapse_onset_day <= patient.relapse_day
                assert patient.latent_phq9[patient.relapse_day] >= 10

    def test_diagnoses_are_known_and_mostly_treatment_resistant_depression(self) -> None:
        cohort = simulate_cohort(1000, 30, seed=1)
        diagnoses = [p.diagnosis for p in cohort.patients]
        assert set(diagnoses) <= set(DIAGNOSES)
        assert 0.6 <= diagnoses.count("trd_mdd") / len(diagnoses) <= 0.8

    def test_item9_follows_severity_and_the_total(self, clinic_year: Cohort) -> None:
        """Positive item 9 is common when severe and rare when mild (rates calibrated in
        test_simulation_item9.py); it never exceeds the total, and totals of 25+ force it
        (the other eight items hold 24)."""
        phq9 = [o for p in clinic_year.patients for o in p.observations if o.instrument == "phq9"]
        severe = [o.items[8] > 0 for o in phq9 if o.total is not None and o.total >= 15]
        mild = [o.items[8] > 0 for o in phq9 if o.total is not None and o.total < 10]
        assert np.mean(severe) > 0.15 > 0.05 > np.mean(mild)
        assert all(o.items[8] <= (o.total or 0) for o in phq9)
        assert all(o.items[8] >= (o.total or 0) - 24 for o in phq9)

    def test_daily_check_is_kept_by_a_subset_of_patients(self) -> None:
        cohort = simulate_cohort(1000, 60, seed=5, enrolment_days=1)
        keepers = [p for p in cohort.patients if p.daily_checkins]
        assert 0.35 <= len(keepers) / 1000 <= 0.45
        for patient in cohort.patients:
            has_daily = any(o.instrument == "daily" for o in patient.observations)
            assert has_daily <= patient.daily_checkins

    def test_remote_check_in_adherence_falls_over_time(self) -> None:
        cohort = simulate_cohort(400, 300, seed=6, enrolment_days=1)
        keepers = [p for p in cohort.patients if p.daily_checkins and p.discontinued_day is None]
        first_month = np.mean(
            [sum(o.instrument == "daily" and o.day < 30 for o in p.observations) for p in keepers]
        )
        last_month = np.mean(
            [sum(o.instrument == "daily" and o.day >= 270 for o in p.observations) for p in keepers]
        )
        assert last_month < 0.8 * first_month


class TestBoosterPolicies:
    def test_no_policy_gives_no_boosters(self) -> None:
        cohort = simulate_cohort(300, 200, seed=4, policy=MaintenancePolicy.NONE)
        assert all(s.kind == SessionKind.INDUCTION for p in cohort.patients for s in p.sessions)

    def test_fixed_policy_gives_maintenance_every_interval_after_induction(self) -> None:
        cohort = simulate_cohort(300, 250, seed=4, policy="fixed", fixed_interval_days=28)
        given = 0
        for patient in cohort.patients:
            maintenance = [s.day for s in patient.sessions if s.kind == SessionKind.MAINTENANCE]
            assert all(s.kind != SessionKind.BOOSTER for s in patient.sessions)
            if maintenance:
                assert patient.induction_end_day is not None
                offsets = [day - patient.induction_end_day for day in maintenance]
                assert offsets == [28 * (k + 1) for k in range(len(offsets))]
                given += len(offsets)
        assert given > 100

    def test_symptom_policy_books_a_booster_days_after_a_high_score(self) -> None:
        cohort = simulate_cohort(400, 250, seed=4, policy=MaintenancePolicy.SYMPTOM)
        boosters = 0
        for patient in cohort.patients:
            days = [s.day for s in patient.sessions if s.kind == SessionKind.BOOSTER]
            assert all(s.kind != SessionKind.MAINTENANCE for s in patient.sessions)
            assert all(b - a >= 14 for a, b in itertools.pairwise(days))
            high = [
                o.day
                for o in patient.observations
                if o.instrument == "phq9" and o.total is not None and o.total >= 10
            ]
            for day in days:
                assert any(day - seen >= 2 for seen in high), "a booster needs a high score"
            boosters += len(days)
        assert boosters > 100

    def test_boosters_reduce_relapse_days(self) -> None:
        runs = {
            policy: simulate_cohort(600, 200, seed=11, policy=policy, enrolment_days=1)
            for policy in MaintenancePolicy
        }
        none = _relapse_days(runs[MaintenancePolicy.NONE])
        assert _relapse_days(runs[MaintenancePolicy.FIXED]) < 0.6 * none
        assert _relapse_days(runs[MaintenancePolicy.SYMPTOM]) < 0.6 * none

    def test_policy_mix_assigns_each_patient_one_policy_in_proportion(self) -> None:
        cohort = simulate_cohort(2000, 10, seed=2, policy_mix=DEMO_MIX)
        shares = {
            policy: sum(p.policy == policy for p in cohort.patients) / 2000
            for policy in MaintenancePolicy
        }
        for policy, share in DEMO_MIX.items():
            assert shares[policy] == pytest.approx(share, abs=0.04)


class TestCalibration:
    """Targets: docs/clinical.md#simulated-cohorts and tests/reference/durability_anchors.md."""

    def test_real_world_outcome_shares(self, real_world_report: CalibrationReport) -> None:
        report = real_world_report
        assert report.patients == 3000
        assert 0.50 <= report.response_share <= 0.70
        assert 0.20 <= report.remission_share <= 0.40
        assert 0.05 <= report.worsen_share <= 0.11
        assert 0.15 <= report.stop_after_first_share <= 0.25

    def test_real_world_responders_hold_as_in_mcinnes(
        self, real_world_report: CalibrationReport
    ) -> None:
        report = real_world_report
        assert report.durability.at_risk > 1000
        assert report.survival_28 == pytest.approx(0.80, abs=0.05)
        assert report.survival_56 == pytest.approx(0.60, abs=0.05)

    def test_lab_median_time_to_relapse_is_as_in_murrough(self, lab_cohort: Cohort) -> None:
        median = measure_calibration(lab_cohort).median_days
        assert median is not None
        assert median == pytest.approx(18, abs=3)

    @pytest.mark.parametrize("interval", [7, 14])
    def test_maintenance_hazard_ratio_lies_in_the_range_sustain_1_reported(
        self, untreated_cohort: Cohort, interval: int
    ) -> None:
        """SUSTAIN-1: maintenance weekly to every other week vs none, HR 0.30-0.49.

        Crude hazard ratio (relapses per person-day, fixed maintenance vs none) among
        responders; measured 0.38-0.43 over seeds 0-7 at this size, so 0.30-0.50 leaves
        a margin of about 0.07 for sampling noise (about 800 relapses without maintenance).
        """
        fixed = simulate_cohort(
            2000, 200, seed=5, policy="fixed", fixed_interval_days=interval, enrolment_days=1
        )
        hazard_ratio = _relapse_rate(fixed) / _relapse_rate(untreated_cohort)
        assert 0.30 <= hazard_ratio <= 0.50

    def test_preset_survival_matches_the_published_anchors(self) -> None:
        real_world = PRESETS["real-world"]
        assert real_world.weibull_survival(28) == pytest.approx(0.80, abs=0.01)
        assert real_world.weibull_survival(56) == pytest.approx(0.60, abs=0.01)
        assert PRESETS["lab"].weibull_median_days() == pytest.approx(18, abs=0.5)


class TestKaplanMeier:
    def test_it_matches_a_hand_computed_curve(self) -> None:
        # At risk 5: event at 2 -> 4/5; censored at 3; at risk 3: event at 4 -> 0.8 * 2/3
        # (still above a half); at risk 2: events at 6 (x2) -> 0, so the median is 6.
        curve = kaplan_meier([2, 3, 4, 6, 6], [True, False, True, True, True])
        assert curve.times == (2, 4, 6)
        assert curve.survival == pytest.approx((0.8, 0.8 * 2 / 3, 0.0))
        assert curve.at(1) == 1.0
        assert curve.at(3) == pytest.approx(0.8)
        assert curve.median() == 6.0

    def test_it_never_reaches_the_median_when_few_events(self) -> None:
        assert kaplan_meier([5, 10, 10], [True, False, False]).median() is None


class TestArguments:
    def test_unknown_preset_names_the_known_ones(self) -> None:
        with pytest.raises(ValueError, match="lab"):
            get_preset("moon")

    def test_preset_rejects_inconsistent_shares(self) -> None:
        with pytest.raises(ValueError, match="remission_share"):
            Preset(name="odd", response_share=0.2, remission_share=0.3)
        with pytest.raises(ValueError, match="diagnosis_shares"):
            dataclasses.replace(PRESETS["real-world"], diagnosis_shares=(("trd_mdd", 1.0),))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"fixed_interval_days": 3},
            {"symptom_threshold": 30},
            {"enrolment_days": 0},
            {"policy": "sometimes"},
            {"policy": MaintenancePolicy.FIXED, "policy_mix": DEMO_MIX},
            {"policy_mix": {MaintenancePolicy.NONE: 0.0}},
        ],
    )
    def test_bad_arguments_are_refused(self, overrides: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            simulate_cohort(10, 30, **overrides)  # type: ignore[arg-type]

    def test_a_cohort_of_no_patients_is_empty(self) -> None:
        assert simulate_cohort(0, 30).patients == ()


def test_public_records_are_frozen(clinic_year: Cohort) -> None:
    patient: SimulatedPatient = clinic_year.patients[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        patient.baseline_phq9 = 3  # type: ignore[misc]
