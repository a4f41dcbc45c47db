"""The demo clinic looks like a real clinic: every role, every phase, a year of history."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import core as vegalite_core
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Location, Membership, Organization, Role
from lasting.alerts.models import Alert
from lasting.checkins.models import Response, ScheduledCheckIn
from lasting.cli import main
from lasting.demo import DEMO_SLUG, seed_demo
from lasting.patients.models import Course, Patient, Phase
from lasting.treatment.models import TreatmentSession, VitalSign
from tests.factories import make_member, make_organization, rows_shared_by_the_scope, sign_in

pytestmark = [pytest.mark.slow(seconds=8), pytest.mark.django_db]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo clinic, seeded once for the module: each test's writes are rolled back."""
    logins = tmp_path_factory.mktemp("demo") / "logins.txt"
    with rows_shared_by_the_scope(django_db_blocker):
        yield seed_demo(patients=60, seed=11, reset=False, logins_file=logins), logins


def test_the_demo_has_four_locations_ten_staff_and_every_role(seeded):
    clinic = Organization.objects.get(slug=DEMO_SLUG)
    assert Location.objects.filter(organization=clinic).count() == 4
    roles = list(Membership.objects.filter(organization=clinic).values_list("role", flat=True))
    assert len(roles) == 10
    assert set(roles) == {Role.ADMIN, Role.CLINICIAN, Role.STAFF, Role.SCHEDULER}


def test_the_demo_holds_a_year_of_history_in_every_phase(seeded):
    assert Patient.objects.count() >= 55
    phases = set(Course.objects.values_list("phase", flat=True))
    assert {Phase.EVALUATION, Phase.INDUCTION, Phase.MAINTENANCE, Phase.DISCONTINUED} <= phases
    oldest = Response.objects.order_by("observed_at").first().observed_at
    assert timezone.now() - oldest > timedelta(days=300)
    kinds = set(TreatmentSession.objects.values_list("kind", flat=True))
    assert {"induction"} < kinds
    assert VitalSign.objects.count() == 3 * TreatmentSession.objects.count()


def test_demo_scores_come_from_the_core_scoring(seeded):
    for response in Response.objects.filter(instrument="phq9")[:200]:
        assert response.total == sum(value for value in response.answers.values() if value)
        assert response.band


def test_every_positive_item9_in_history_has_a_safety_alert(seeded):
    positive = Response.objects.filter(instrument="phq9", answers__q9__gte=1).count()
    assert Alert.objects.filter(kind="safety").count() == positive


def test_the_printed_logins_work(seeded):
    result, logins = seeded
    line = next(line for line in result.login_lines if line.lstrip().startswith("Clinician"))
    username, password = line.split()[1], line.split("password:")[1].split()[0]
    client = Client()
    assert sign_in(client, username, password)
    assert client.get(reverse("clinic:caseload")).status_code == 200
    assert logins.read_text().splitlines() == result.login_lines


def test_the_printed_login_passes_both_steps_with_the_demo_code_command(seeded, capsys):
    result, _ = seeded
    line = next(line for line in result.login_lines if line.lstrip().startswith("Nurse"))
    username, password = line.split()[1], line.split("password:")[1].split()[0]
    assert "app key:" in line
    client = Client()
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert client.get(reverse("clinic:caseload")).status_code == 302  # the second step first
    assert main(["demo-code", username]) == 0
    code = capsys.readouterr().out.strip()
    response = client.post(reverse("accounts:second_step"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("clinic:caseload")).status_code == 200


def test_demo_code_answers_only_for_the_demo_clinics_accounts(seeded, capsys):
    other = make_member(make_organization(), username="real_nurse")
    assert main(["demo-code", other.user.username]) == 2
    assert "not an account of the demo clinic" in capsys.readouterr().err


def test_running_the_demo_again_reuses_the_clinic(seeded, tmp_path):
    result, logins = seeded
    again = seed_demo(patients=60, seed=11, reset=False, logins_file=logins)
    assert "already present" in again.summary
    assert again.login_lines == result.login_lines
    assert Organization.objects.filter(slug=DEMO_SLUG).count() == 1


def test_reset_seeds_a_fresh_clinic_with_new_passwords(seeded, tmp_path):
    result, logins = seeded
    # A copy: the reset rewrites its logins file, which the other tests read.
    copy = tmp_path / "logins.txt"
    copy.write_text(logins.read_text())
    fresh = seed_demo(patients=20, seed=5, reset=True, logins_file=copy)
    assert Organization.objects.filter(slug=DEMO_SLUG).count() == 1
    assert Patient.objects.count() <= 20
    assert fresh.login_lines != result.login_lines


def test_every_patient_in_maintenance_has_a_checkin_planned(seeded):
    in_maintenance = set(
        Course.objects.filter(phase=Phase.MAINTENANCE).values_list("patient_id", flat=True)
    )
    planned = set(
        ScheduledCheckIn.objects.filter(
            reason="maintenance", expires_at__gt=timezone.now()
        ).values_list("patient_id", flat=True)
    )
    assert in_maintenance
    assert in_maintenance <= planned


def test_the_printed_patient_sign_in_works(seeded, mailoutbox, immediate_tasks):
    result, _ = seeded
    line = next(line for line in result.login_lines if line.lstrip().startswith("Patient"))
    email = line.split()[1]
    client = Client()
    client.post("/me/sign-in/", {"email": email})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [email]


def test_every_demo_session_passes_the_session_safety_rules(seeded):
    from lasting.treatment.services import session_record
    from lasting_core.sessions import review_session

    sessions = TreatmentSession.objects.prefetch_related("vitals").select_related(
        "monitoring_clinician"
    )
    assert sessions.exists()
    for session in sessions:
        fields = {
            field.name: getattr(session, field.name)
            for field in TreatmentSession._meta.concrete_fields
        }
        rows = list(session.vitals.values())
        review = review_session(session_record(fields, rows), now=timezone.now())
        assert review.problems == (), session.pk
        assert [f["code"] for f in session.confirmed_findings] == [f.code for f in review.findings]
        assert bool(session.confirmed_reason) == bool(review.findings)
        assert 0 <= session.sedation <= 5


def test_every_demo_esketamine_session_has_its_rems_form_some_still_due(seeded):
    from lasting.treatment.models import MonitoringForm, Route

    esketamine = TreatmentSession.objects.filter(route=Route.INTRANASAL_ESKETAMINE)
    assert esketamine.exists()
    assert MonitoringForm.objects.count() == esketamine.count()
    assert MonitoringForm.objects.filter(submitted_on__isnull=False).exists()
    assert MonitoringForm.objects.filter(submitted_on__isnull=True).exists()
    assert not MonitoringForm.objects.filter(
        submitted_on__isnull=False, submitted_by__isnull=True
    ).exists()


def test_the_printed_scheduler_login_sees_no_clinical_record(seeded):
    result, _ = seeded
    line = next(line for line in result.login_lines if line.lstrip().startswith("Scheduler"))
    username, password = line.split()[1], line.split("password:")[1].split()[0]
    client = Client()
    assert sign_in(client, username, password)
    patient = TreatmentSession.objects.first().patient
    content = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert patient.family_name in content
    assert 'id="sessions"' not in content
    assert client.get(reverse("intake:new_session", args=[patient.pk])).status_code == 403


def test_the_demo_plans_track_a_warning_sign_asked_in_the_daily_check(seeded):
    from lasting.evaluations.models import EvaluationRequest, RequestStatus
    from lasting.plans.models import MaintenancePlan
    from lasting.prevention.models import PersonalItem, PlanVersion
    from lasting.treatment.models import LifeEvent

    planned = set(PlanVersion.objects.values_list("patient_id", flat=True))
    assert len(planned) == 8
    assert set(PersonalItem.objects.values_list("patient_id", flat=True)) == planned
    checked = MaintenancePlan.objects.filter(patient_id__in=planned, daily_check=True)
    assert checked.count() == len(planned)  # so the warning sign is actually asked
    assert LifeEvent.objects.count() == 12
    waiting = EvaluationRequest.objects.filter(status=RequestStatus.NEW)
    assert waiting.count() == 3
    assert not waiting.filter(patient__isnull=False).exists()  # item 9 was 0 in each


SPEC_SCRIPT = re.compile(
    r'<script id="[a-z0-9-]+-spec" type="application/json">(.*?)</script>', re.S
)


def test_every_chart_on_the_demos_pages_is_valid_vega_lite(seeded):
    """The pages skip Altair's schema check for speed (lasting/vega.py chart_spec); the
    specs they carry are checked here against the Vega-Lite schema Altair ships."""
    result, _ = seeded
    line = next(line for line in result.login_lines if line.lstrip().startswith("Clinician"))
    client = Client()
    assert sign_in(client, line.split()[1], line.split("password:")[1].split()[0])
    busiest = (
        Patient.objects.annotate(n=Count("responses"))
        .order_by("-n")
        .values_list("pk", flat=True)[:4]
    )
    pages = [reverse("clinic:patient", args=[pk]) for pk in busiest]
    pages.append(reverse("outcomes:analytics"))
    schema = vegalite_core.load_schema()
    checked = 0
    for page in pages:
        content = client.get(page).content.decode()
        for spec in re.findall(
            r'<script id="[a-z0-9-]+-spec" type="application/json">(.*?)</script>', content, re.S
        ):
            validate_jsonschema(json.loads(spec), schema)
            checked += 1
    assert checked >= 9  # timeline, GAD-7 and risk on the patient pages, durability
