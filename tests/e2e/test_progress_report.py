"""A clinician opens a patient's progress report and downloads its PDF, in a real browser."""

from __future__ import annotations

import pytest

from lasting.audit.models import Action, AuditEvent
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_organization, make_patient
from tests.web.test_reports import build_course, pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clinician_downloads_the_progress_report_pdf(live_server, browser, artifacts):
    clinic = make_organization(name="Clearwater Test Clinic")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    paul = make_patient(
        clinic, given_name="Paul", family_name="Moreno", assigned_clinician=dr_ana.user
    )
    build_course(paul, "Ana Ruiz")

    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = page.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.wait_for_url("**/caseload/")
    page.goto(f"{live_server.url}/patients/{paul.pk}/")
    page.click("#progress-report")
    page.wait_for_url(f"**/patients/{paul.pk}/report/")
    assert "Paul Moreno" in page.locator("#report-patient").inner_text()
    assert page.locator("#report-trajectory svg").count() >= 1
    save(page, artifacts / "progress-report-page.png", full_page=True)

    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    assert download.suggested_filename.startswith(f"progress-report-{paul.pk}-")
    saved = artifacts / "progress-report.pdf"
    download.save_as(saved)

    text = pdf_text(saved.read_bytes())
    assert "Paul Moreno" in text
    assert "Remission" in text
    assert "Relapse (symptoms returned on this day)" in text
    assert "Job change or job loss" in text
    assert AuditEvent.objects.filter(
        object_type="ProgressReport", patient_id=paul.pk, action=Action.EXPORT
    ).exists()
