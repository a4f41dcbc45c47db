"""Progress reports: what they say, who may open them, and the audit trail they leave.

Paul's course (tests/personas.py), built relative to today on his own clock:
- baseline PHQ-9 20, six induction sessions, then PHQ-9 4 (response and remission);
- PHQ-9 back to 14 and 15 on days -20 and -12: a relapse anchored on day -20, so the
  first interval (from the last induction session, day -43) lasted 23 days;
- an esketamine booster on day -10 (its REMS monitoring form opens), PHQ-9 6 and 5 after
  it: the second interval is still lasting, censored at the latest PHQ-9 (day -2), 8 days;
- a job loss on day -25, sertraline started on day -30, a fixed 42-day maintenance plan
  and a relapse-prevention plan.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from lasting.accounts.clocks import today_in
from lasting.accounts.queries import find_crisis_line
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.patients.models import Patient
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.prevention.models import PlanVersion
from lasting.reports.queries import Period, PeriodError, parse_period
from lasting.reports.wording import clinician_plan
from lasting.treatment.models import (
    DrugClass,
    EntrySource,
    LifeEvent,
    LifeEventKind,
    MedicationChange,
    MedicationChangeKind,
    Route,
    SessionKind,
)
from tests.factories import make_phq9, make_session, rows_shared_by_the_scope
from tests.personas import Personas, client_for, make_personas
from tests.web.portal_support import PAUL_EMAIL, PIA_EMAIL, make_world, signed_in_client

pytestmark = pytest.mark.django_db

INDUCTION_DAYS = (-58, -55, -52, -49, -46, -43)
PHQ9_BY_DAY = {-60: 20, -40: 4, -30: 5, -20: 14, -12: 15, -8: 6, -2: 5}
# Words that belong to the engine, never to a report a nurse or the patient reads.
ENGINE_WORDS = ("risk", "forecast", "probability", "p(relapse", "early warning", "crossing")


def local_noon(patient: Patient, days: int) -> datetime:
    """Noon on the patient's own calendar, `days` from today there."""
    zone = ZoneInfo(patient.time_zone)
    return datetime.combine(today_in(patient.time_zone) + timedelta(days=days), time(12), zone)


def local_day(patient: Patient, days: int) -> date:
    return today_in(patient.time_zone) + timedelta(days=days)


def build_course(patient: Patient, author_name: str) -> None:
    for day in INDUCTION_DAYS:
        make_session(patient, started_at=local_noon(patient, day))
    make_session(
        patient,
        started_at=local_noon(patient, -10),
        kind=SessionKind.BOOSTER,
        route=Route.INTRANASAL_ESKETAMINE,
    )
    for day, total in PHQ9_BY_DAY.items():
        make_phq9(patient, total, submitted_at=local_noon(patient, day))
    own = {"organization_id": patient.organization_id, "patient": patient}
    LifeEvent.objects.create(
        **own,
        kind=LifeEventKind.WORK,
        occurred_on=local_day(patient, -25),
        weight=3,
        source=EntrySource.CLINIC,
        note="Told me in confidence about the layoff",
    )
    MedicationChange.objects.create(
        **own,
        changed_on=local_day(patient, -30),
        change=MedicationChangeKind.START,
        drug_name="Sertraline",
        dose_text="50 mg daily",
        drug_class=DrugClass.ANTIDEPRESSANT,
    )
    MaintenancePlan.objects.create(**own, policy=PolicyChoice.FIXED, fixed_interval_days=42)
    PlanVersion.objects.create(
        **own,
        number=1,
        created_at=timezone.now(),
        author_name=author_name,
        reason="first plan",
        warning_signs="Sleeping past noon",
        coping_strategies="Walk the dog",
    )


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with rows_shared_by_the_scope(django_db_blocker):
        personas = make_personas()
        world = make_world(personas)
        build_course(personas.paul, "Ana Ruiz")
        build_course(world.pia, "Ana Ruiz")
        yield personas


def report_url(personas: Personas) -> str:
    return reverse("reports:clinician", args=[personas.paul.pk])


def pdf_url(personas: Personas) -> str:
    return reverse("reports:clinician_pdf", args=[personas.paul.pk])


def pdf_text(content: bytes) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


# What the clinician's report says -------------------------------------------------------


def test_the_report_states_response_and_remission_at_the_end_of_induction(shared):
    page = client_for("dr_ana").get(report_url(shared)).content.decode()
    induction = page.split('id="report-induction"')[1].split("</section>")[0]
    assert 'Baseline PHQ-9</span><span class="value">20<' in induction
    assert 'End-of-induction PHQ-9</span><span class="value">4<' in induction
    assert 'Response</span><span class="value">Yes<' in induction
    assert 'Remission</span><span class="value">Yes<' in induction


def test_each_interval_has_its_days_and_why_it_ended(shared):
    page = client_for("dr_ana").get(report_url(shared)).content.decode()
    rows = page.split('id="report-durability"')[1].split("</tbody>")[0].split("<tr>")[2:]
    assert len(rows) == 2
    first, second = rows
    assert '<td class="number">23</td>' in first
    assert "Relapse" in first
    assert "End of induction" in first
    assert '<td class="number">8</td>' in second
    assert "Booster session" in second
    assert "Censored: still in response at the latest PHQ-9" in second


def test_the_report_lists_life_events_medication_plans_and_the_rems_form(shared):
    page = client_for("dr_ana").get(report_url(shared)).content.decode()
    assert "Job change or job loss (3 · severe)" in page
    assert "Started: Sertraline 50 mg daily (antidepressant)" in page
    assert "Fixed interval: a booster every 42 days." in page
    assert "Sleeping past noon" in page
    assert "Walk the dog" in page
    rems = page.split('id="report-rems"')[1].split("</section>")[0]
    assert "Not submitted" in rems
    assert "of which 1 booster" in page


def test_the_report_draws_the_phq9_chart_as_svg(shared):
    page = client_for("dr_ana").get(report_url(shared)).content.decode()
    trajectory = page.split('id="report-trajectory"')[1].split("</section>")[0]
    assert "<svg" in trajectory
    assert "PHQ-9" in trajectory


def test_a_note_on_a_life_event_stays_out_of_the_report(shared):
    page = client_for("dr_ana").get(report_url(shared)).content.decode()
    assert "in confidence" not in page


def test_a_period_limits_the_rows_but_keeps_the_course_facts(shared):
    first = local_day(shared.paul, -15).isoformat()
    page = client_for("dr_ana").get(report_url(shared), {"from": first}).content.decode()
    assert "Job change or job loss" not in page  # day -25
    assert 'Response</span><span class="value">Yes<' in page
    assert "of which 1 booster" in page
    assert "Sessions (1," in page


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"from": "31/12/2026"}, "'from' must be a date written YYYY-MM-DD"),
        ({"to": "yesterday"}, "'to' must be a date written YYYY-MM-DD"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "starts on 2026-05-02, after it ends"),
    ],
)
def test_a_bad_period_is_a_clear_400(shared, query, says):
    response = client_for("dr_ana").get(report_url(shared), query)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert client_for("dr_ana").get(pdf_url(shared), query).status_code == 400


def test_parse_period_keeps_the_default_end_a_date_leaves_out():
    default = Period(date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("2026-03-01", "", default) == Period(date(2026, 3, 1), date(2026, 6, 30))
    with pytest.raises(PeriodError):
        parse_period("2026-13-01", "", default)


# Who may open it ---------------------------------------------------------------------

#                ana  ben  cara sam  dora olga
EXPECTED = (200, 200, 200, 403, 403, 404)
PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")


@pytest.mark.parametrize(("username", "status"), list(zip(PERSONAS, EXPECTED, strict=True)))
def test_who_may_open_the_report(shared, username, status):
    client = client_for(username)
    assert client.get(report_url(shared)).status_code == status


@pytest.mark.parametrize(("username", "status"), list(zip(PERSONAS, EXPECTED, strict=True)))
def test_who_may_download_the_pdf(shared, username, status):
    response = client_for(username).get(pdf_url(shared))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"


def test_an_anonymous_visitor_is_sent_to_sign_in(shared):
    for url in (report_url(shared), pdf_url(shared)):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_refusal_is_audited(shared):
    client_for("sam_front").get(report_url(shared))
    event = AuditEvent.objects.latest("id")
    assert (event.username, event.outcome) == ("sam_front", Outcome.DENIED)
    assert (event.object_type, event.object_id) == ("ProgressReport", str(shared.paul.pk))


def test_reports_are_not_cached(shared):
    assert client_for("dr_ana").get(report_url(shared))["Cache-Control"] == "no-store"
    assert client_for("dr_ana").get(pdf_url(shared))["Cache-Control"] == "no-store"


def test_the_patient_page_links_to_the_report(shared):
    page = client_for("rn_cara").get(reverse("clinic:patient", args=[shared.paul.pk]))
    assert report_url(shared) in page.content.decode()


# The audit trail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "action"),
    [("", Action.READ), ("?print=1", Action.PRINT)],
)
def test_each_view_and_print_is_audited(shared, suffix, action):
    before = AuditEvent.objects.count()
    client_for("rn_cara").get(report_url(shared) + suffix)
    events = list(AuditEvent.objects.filter(object_type="ProgressReport").order_by("-id")[:1])
    assert AuditEvent.objects.count() > before
    assert events[0].action == action
    assert events[0].patient_id == shared.paul.pk
    assert events[0].username == "rn_cara"


def test_each_pdf_download_is_audited_as_an_export(shared):
    client_for("dr_ben").get(pdf_url(shared))
    event = AuditEvent.objects.filter(object_type="ProgressReport").latest("id")
    assert (event.action, event.username, event.patient_id) == (
        Action.EXPORT,
        "dr_ben",
        shared.paul.pk,
    )


@pytest.mark.parametrize("policy", list(PolicyChoice))
def test_no_plan_is_described_with_engine_words(policy):
    words = clinician_plan(MaintenancePlan(policy=policy)).lower()
    assert words
    assert not [word for word in ENGINE_WORDS if word in words]


# The PDF -----------------------------------------------------------------------------


def test_the_pdf_holds_the_patients_name_and_the_key_facts(shared):
    text = pdf_text(client_for("dr_ana").get(pdf_url(shared)).content)
    assert "Paul Moreno" in text
    assert "Progress report" in text
    assert "Remission" in text
    assert "Relapse (symptoms returned on this day)" in text
    assert "Job change or job loss" in text
    assert "Fixed interval: a booster every 42 days." in text


def test_no_engine_words_in_the_clinicians_report_or_pdf(shared):
    client = client_for("dr_ana")
    page = client.get(report_url(shared)).content.decode().lower()
    body = page.split('id="progress-report"')[1]
    text = pdf_text(client.get(pdf_url(shared)).content).lower()
    for word in ENGINE_WORDS:
        assert word not in body, word
        assert word not in text, word


# The patient's own report ------------------------------------------------------------

patient_signs_in = pytest.mark.usefixtures("immediate_tasks")


@patient_signs_in
def test_the_patient_reads_their_own_report_in_plain_words(shared):
    client = signed_in_client(PAUL_EMAIL)
    page = client.get(reverse("reports:patient")).content.decode()
    assert "Your scores" in page
    assert "How long relief lasted" in page
    assert "relief lasted 23 days, until symptoms came back" in page
    assert "relief has lasted 8 days so far" in page
    assert "your score went from 20 to 4" in page
    assert "Walk the dog" in page
    assert "Pia" not in page
    assert "in confidence" not in page
    assert reverse("reports:patient") in client.get("/me/").content.decode()


@patient_signs_in
def test_the_patients_report_and_pdf_are_audited(shared):
    client = signed_in_client(PAUL_EMAIL)
    client.get(reverse("reports:patient"))
    client.get(reverse("reports:patient_pdf"))
    events = list(
        AuditEvent.objects.filter(object_type="ProgressReport", patient_id=shared.paul.pk)
        .order_by("-id")
        .values_list("action", flat=True)[:2]
    )
    assert events == [Action.EXPORT, Action.READ]


@patient_signs_in
def test_the_patients_pdf_is_in_spanish_for_a_spanish_speaker(shared):
    response = signed_in_client(PIA_EMAIL).get(reverse("reports:patient_pdf"))
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    text = pdf_text(response.content)
    assert "Su informe de evolución" in text
    assert "Sus puntuaciones" in text
    assert "Cuánto duró el alivio" in text
    assert "Your scores" not in text


@patient_signs_in
@pytest.mark.parametrize(("email", "language"), [(PAUL_EMAIL, "en"), (PIA_EMAIL, "es")])
def test_the_patients_pdf_carries_the_crisis_line_in_their_language(shared, email, language):
    response = signed_in_client(email).get(reverse("reports:patient_pdf"))
    text = pdf_text(response.content)
    crisis = find_crisis_line(shared.paul.organization, language)
    assert crisis.name in text
    assert crisis.phone in text


@patient_signs_in
def test_no_engine_words_in_the_patients_report(shared):
    client = signed_in_client(PAUL_EMAIL)
    page = client.get(reverse("reports:patient")).content.decode().lower()
    body = page.split('id="progress-report"')[1].split("</article>")[0]
    text = pdf_text(client.get(reverse("reports:patient_pdf")).content).lower()
    for word in ENGINE_WORDS:
        assert word not in body, word
        assert word not in text, word


def test_staff_and_strangers_get_no_patient_report(shared):
    assert client_for("dr_ana").get(reverse("reports:patient")).status_code == 403
    response = Client().get(reverse("reports:patient_pdf"))
    assert response.status_code == 302
    assert "/me/sign-in/" in response["Location"]
