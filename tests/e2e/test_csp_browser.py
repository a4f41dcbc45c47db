"""Pages with charts and HTMX work in a real browser under the enforced Content Security
Policy: Chromium reports no violation (no eval, no inline script or style) while the
Vega charts draw and HTMX swaps rows in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.models import Role
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_phq9
from tests.personas import make_personas
from tests.web.access_matrix_support import portal_client
from tests.web.outcomes_support import make_episode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every `securitypolicyviolation` event of every page, handed to the test as it happens.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportViolation(event.violatedDirective + " " + event.blockedURI + " "
    + event.sourceFile + ":" + event.lineNumber);
});
"""


class Watcher:
    """A browser context whose pages report CSP messages, violations and script errors."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.violations: list[str] = []
        self.context.expose_binding(
            "reportViolation", lambda _source, text: self.violations.append(text)
        )
        self.context.add_init_script(WATCH_VIOLATIONS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, path: str) -> None:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None, path
        assert response.ok, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (path, policy)

    def problems(self) -> list[str]:
        policy_messages = [
            text for text in self.console if "Content Security Policy" in text or "Refused" in text
        ]
        return [*self.violations, *policy_messages, *self.errors]

    def sign_in(self, username: str) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        pass_second_step(self.page, username)


def assert_chart_drawn(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-rendered=true] svg", timeout=15000)
    marks = page.locator(f"{selector} svg .mark-symbol path, {selector} svg .mark-line path")
    assert marks.count() > 0, selector


@pytest.fixture
def world():
    personas = make_personas()
    paul = personas.paul
    paul.email, paul.portal_access = "paul@example.org", True
    paul.save()
    now = timezone.now()
    for weeks_ago, total in [(10, 19), (8, 14), (6, 9), (4, 7), (2, 6)]:
        make_phq9(paul, total, submitted_at=now - timedelta(weeks=weeks_ago, hours=1))
    make_phq9(paul, 21, item9=2, submitted_at=now - timedelta(hours=2))  # a safety alert
    for days, relapsed in [(12, True), (20, True), (33, False), (41, True), (60, True)]:
        make_episode(paul, days, relapsed)
    return personas


def test_the_patient_page_draws_its_chart_and_swaps_with_htmx_without_violations(
    live_server, browser, artifacts, world
):
    watcher = Watcher(browser, live_server.url)
    watcher.sign_in("dr_ana")
    watcher.goto(f"/patients/{world.paul.pk}/")
    page = watcher.page
    assert_chart_drawn(page, "#timeline-chart")

    # HTMX: acknowledging the alert swaps its row in place (hx-headers carries the token).
    row = page.locator("tr.alert-row").first
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_selector("tr.alert-row:has-text('Acknowledged by')", timeout=10000)
    assert page.url.endswith(f"/patients/{world.paul.pk}/")  # swapped, not navigated

    # HTMX again: a check-in link appears in place, and a click selects all of it.
    page.click("#issue-link")
    field = page.wait_for_selector("#checkin-link-url", timeout=10000)
    field.click()
    selected = page.evaluate(
        "(f => f.selectionEnd - f.selectionStart === f.value.length && f.value.length > 0)"
        "(document.getElementById('checkin-link-url'))"
    )
    assert selected
    save(page, artifacts / "csp-patient.png", full_page=True)
    assert watcher.problems() == []

    # The progress report: its stylesheet is a static file now, and its charts inline SVG.
    watcher.goto(f"/patients/{world.paul.pk}/report/")
    assert page.locator(".report .chart-svg svg").count() > 0
    grid = page.eval_on_selector(".report .report-facts", "e => getComputedStyle(e).display")
    assert grid == "grid"  # a rule of reports/styles.css applies
    save(page, artifacts / "csp-report.png", full_page=True)
    assert watcher.problems() == []


def test_a_first_sign_in_sets_up_the_authenticator_app_without_violations(
    live_server, browser, world
):
    """The set-up page's QR code is inline SVG, drawn without style attributes."""
    make_member(world.clinic, Role.STAFF, "rn_nia", authenticator_app=False)
    watcher = Watcher(browser, live_server.url)
    watcher.sign_in("rn_nia")
    assert "/accounts/two-step/" not in watcher.page.url
    assert watcher.problems() == []


def test_the_analytics_page_draws_its_chart_without_violations(
    live_server, browser, artifacts, world
):
    watcher = Watcher(browser, live_server.url)
    watcher.sign_in("dr_ana")
    watcher.goto("/outcomes/")
    page = watcher.page
    page.wait_for_selector("#durability-chart[data-rendered=true] svg", timeout=15000)
    assert page.locator("#durability-chart svg path").count() > 0
    save(page, artifacts / "csp-analytics.png", full_page=True)
    assert watcher.problems() == []


def test_the_patient_portal_draws_its_chart_without_violations(
    live_server, browser, artifacts, world
):
    watcher = Watcher(browser, live_server.url)
    session = portal_client(world).cookies["sessionid"].value
    watcher.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    watcher.goto("/me/")
    page = watcher.page
    assert_chart_drawn(page, "#phq9-chart")
    save(page, artifacts / "csp-portal.png", full_page=True)
    assert watcher.problems() == []


def test_vega_without_its_interpreter_is_blocked_by_the_policy(live_server, browser, world):
    """The policy really forbids eval: served a chart.js without `ast: true`, the same chart
    fails with a script-src violation. (Playwright's own `evaluate` may eval under any
    policy, so the page's script file itself is changed on the way.)"""
    watcher = Watcher(browser, live_server.url)
    session = portal_client(world).cookies["sessionid"].value
    watcher.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    def without_interpreter(route):
        script = route.fetch().text()
        assert "ast: true" in script
        route.fulfill(
            body=script.replace("ast: true", "ast: false"), content_type="text/javascript"
        )

    watcher.context.route("**/lasting/chart.js", without_interpreter)
    watcher.goto("/me/")
    page = watcher.page
    page.wait_for_selector("#phq9-chart:has-text('could not be drawn')", timeout=15000)
    assert page.locator("#phq9-chart[data-rendered=true]").count() == 0
    assert any(problem.startswith("script-src") for problem in watcher.violations)


def test_a_violation_is_seen_by_the_watcher(live_server, browser, world):
    """The watcher is not blind: an inline style added to the page is reported."""
    watcher = Watcher(browser, live_server.url)
    watcher.goto("/accounts/login/")
    watcher.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
    )
    watcher.page.wait_for_timeout(200)
    assert any("style-src" in problem for problem in watcher.problems())
