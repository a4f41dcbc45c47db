"""The caseload narrowed by location, clinician, phase and risk; the engine's risk and
alerts on it for clinicians only; the change since baseline by its clinical meaning.
Personas: tests/personas.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.clinic.queries import CaseloadFilter, RiskBand, list_caseload_for
from lasting.patients.models import Course, Patient, Phase
from lasting.risk.models import EngineCalibration, RiskAssessment
from tests.factories import make_location, make_patient, make_phq9, make_session
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def assess(patient, p28: float, days_ago: int = 0) -> None:
    today = today_in(patient.organization.time_zone)
    RiskAssessment.objects.create(
        organization=patient.organization,
        patient=patient,
        assessed_on=today - timedelta(days=days_ago),
        computed_at=timezone.now() - timedelta(days=days_ago),
        p_relapse_28d=p28,
    )


@pytest.fixture
def clinic(personas):
    """Paul (dr_ana, Boulder) and Rosa (dr_ben, Denver, maintenance) and Tom (ended)."""
    boulder = make_location(personas.clinic, name="Boulder")
    denver = make_location(personas.clinic, name="Denver")
    paul = personas.paul
    paul.location = boulder
    paul.save()
    rosa = make_patient(
        personas.clinic,
        given_name="Rosa",
        family_name="Diaz",
        location=denver,
        assigned_clinician=personas.dr_ben.user,
    )
    Course.objects.filter(patient=rosa).update(phase=Phase.MAINTENANCE)
    tom = make_patient(personas.clinic, given_name="Tom", family_name="Hale", location=denver)
    Course.objects.filter(patient=tom).update(phase=Phase.COMPLETED)
    assess(paul, 0.62)
    assess(paul, 0.30, days_ago=7)
    assess(rosa, 0.12)
    return {"personas": personas, "boulder": boulder, "denver": denver, "rosa": rosa}


def family_names(membership, **filters) -> list[str]:
    rows = list_caseload_for(
        membership, now=timezone.now(), filters=CaseloadFilter(**filters), include_risk=True
    )
    return sorted(row.patient.family_name for row in rows)


def test_it_narrows_by_location_clinician_phase_and_risk(clinic):
    dr_ana = clinic["personas"].dr_ana

    assert family_names(dr_ana, location_id=clinic["denver"].pk) == ["Diaz", "Hale"]
    assert family_names(dr_ana, clinician_id=clinic["personas"].dr_ben.user_id) == ["Diaz"]
    assert family_names(dr_ana, phase="maintenance") == ["Diaz"]
    assert family_names(dr_ana, phase="active") == ["Diaz", "Moreno"]
    assert family_names(dr_ana, risk=RiskBand.HIGH) == ["Moreno"]
    assert family_names(dr_ana, risk=RiskBand.LOW) == ["Diaz"]
    assert family_names(dr_ana, risk=RiskBand.UNKNOWN) == ["Hale"]


def test_the_page_reads_its_filters_and_keeps_them_across_pages(clinic):
    response = client_for("dr_ana").get(
        reverse("clinic:caseload"), {"location": clinic["denver"].pk, "phase": "active"}
    )

    rows = response.context["rows"]
    assert [row.patient.family_name for row, _ in rows] == ["Diaz"]
    assert "phase=active" in response.context["kept_query"]


def test_a_tampered_filter_narrows_nothing(clinic):
    response = client_for("dr_ana").get(
        reverse("clinic:caseload"), {"location": "9999", "risk": "extreme", "phase": "x"}
    )

    assert response.status_code == 200
    assert len(response.context["rows"]) == 3


def test_another_clinics_location_is_not_a_choice(clinic):
    foreign = make_location(clinic["personas"].other_clinic, name="Elsewhere")

    response = client_for("dr_ana").get(reverse("clinic:caseload"), {"location": foreign.pk})

    assert "Elsewhere" not in response.content.decode()
    assert len(response.context["rows"]) == 3


def test_clinicians_see_the_risk_with_its_band_and_trend(clinic):
    page = client_for("dr_ana").get(reverse("clinic:caseload")).content.decode()

    assert "Relapse risk, 28 days" in page
    assert '<span class="risk high">62 %</span>' in page
    assert 'class="trend up"' in page  # 30 % a week ago
    assert '<span class="risk low">12 %</span>' in page


@pytest.mark.parametrize("persona", ["rn_cara", "sam_front"])
def test_nurses_and_the_front_desk_see_no_risk_and_cannot_filter_by_it(clinic, persona):
    response = client_for(persona).get(reverse("clinic:caseload"), {"risk": "high"})

    page = response.content.decode()
    assert "Relapse risk" not in page
    assert "62 %" not in page
    assert 'name="risk"' not in page
    assert len(response.context["rows"]) == 3  # the risk filter was ignored


def test_open_engine_alerts_follow_safety_alerts_in_the_order(clinic):
    personas = clinic["personas"]
    rosa = clinic["rosa"]
    Alert.objects.create(
        organization=personas.clinic,
        patient=rosa,
        kind=AlertKind.RELAPSE,
        priority=Priority.HIGH,
        reason="Relapse criteria met",
        opened_at=timezone.now(),
    )
    make_phq9(personas.paul, 12, item9=2)  # a safety alert for Paul

    rows = list_caseload_for(personas.dr_ana, now=timezone.now(), include_risk=True)

    assert [row.patient.family_name for row in rows][:2] == ["Moreno", "Diaz"]
    assert rows[1].engine_alert == AlertKind.RELAPSE
    page = client_for("dr_ana").get(reverse("clinic:caseload")).content.decode()
    assert 'class="pill high engine-alert">Relapse<' in page


@pytest.mark.parametrize(
    ("baseline", "latest", "kind"),
    [(14, 20, "worsened"), (14, 18, "unchanged"), (14, 8, "improved"), (14, 14, "unchanged")],
)
def test_the_change_since_baseline_is_coloured_by_reliable_change(personas, baseline, latest, kind):
    now = timezone.now()
    paul = personas.paul
    make_phq9(paul, baseline, submitted_at=now - timedelta(days=30))
    make_session(paul, started_at=now - timedelta(days=29))
    make_phq9(paul, latest, submitted_at=now - timedelta(days=1))

    page = client_for("dr_ana").get(reverse("clinic:caseload")).content.decode()

    assert f'class="change {kind}"' in page


def calibrate(organization, threshold: float) -> None:
    """Store a calibration version whose early-warning threshold is `threshold`."""
    EngineCalibration.objects.create(
        organization=organization,
        version=1,
        settings={"early_warning_probability": threshold},
        metrics={},
        created_at=timezone.now(),
    )


def test_a_calibrated_clinic_bands_risk_at_its_own_early_warning_threshold(clinic):
    """Calibration moved this clinic's early warning down to 25 %: a 30 % estimate raises
    an early-warning alert there, so the caseload calls it high, not raised; "raised"
    starts at half the threshold when the threshold is below 40 %."""
    personas = clinic["personas"]
    calibrate(personas.clinic, 0.25)
    RiskAssessment.objects.filter(patient=clinic["rosa"]).update(p_relapse_28d=0.30)
    tom = Patient.objects.get(organization=personas.clinic, family_name="Hale")
    assess(tom, 0.14)
    dr_ana = personas.dr_ana

    assert family_names(dr_ana, risk=RiskBand.HIGH) == ["Diaz", "Moreno"]
    assert family_names(dr_ana, risk=RiskBand.RAISED) == ["Hale"]
    assert family_names(dr_ana, risk=RiskBand.LOW) == []
    page = client_for("dr_ana").get(reverse("clinic:caseload")).content.decode()
    assert '<span class="risk high">30 %</span>' in page
    assert '<span class="risk raised">14 %</span>' in page
    assert "High (the clinic&#x27;s early-warning level, 25 % or more)" in page
    assert "Raised (12 % or more)" in page


def test_another_clinics_calibration_does_not_move_this_clinics_bands(clinic):
    personas = clinic["personas"]
    calibrate(personas.other_clinic, 0.10)

    assert family_names(personas.dr_ana, risk=RiskBand.HIGH) == ["Moreno"]
    assert family_names(personas.dr_ana, risk=RiskBand.LOW) == ["Diaz"]
