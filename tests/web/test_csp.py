"""The Content Security Policy: every page answers with it, enforced, and no page or
template carries code the policy would block (inline scripts, event-handler attributes,
style attributes or blocks, javascript: URLs).

The pages are the access matrix's routes read by each of its callers
(tests/web/access_matrix_support.py), so a new page is checked without being listed here.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string

from tests.web.access_matrix_support import CALLERS, list_routes, path_of

pytestmark = [pytest.mark.slow(seconds=30), pytest.mark.django_db]

SOURCE = Path(__file__).resolve().parents[2] / "src"
TEMPLATES = sorted(SOURCE.glob("**/templates/**/*.html"))
# Laid out by WeasyPrint into a PDF, never sent to a browser: its <style> stays inline.
PRINTED_ONLY = {"reports/pdf_base.html"}

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def directives(header: str) -> dict[str, set[str]]:
    """Parse a Content-Security-Policy header into {directive: sources}."""
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = set(words[1:])
    return parsed


class InlineCode(HTMLParser):
    """Collect what a policy without 'unsafe-inline' blocks in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name == "style":
                self.found.append(f"style= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}= on <{tag}>")


def inline_code_in_page(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


# The same rules read in template source, where Django tags may sit inside an element.
TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code_in_template(text: str) -> list[str]:
    return [rule for rule, pattern in TEMPLATE_RULES.items() if pattern.search(text)]


def template_name(path: Path) -> str:
    return path.as_posix().split("/templates/", 1)[1]


BAD_SNIPPETS = [
    '<script>alert("x")</script>',
    '<button onclick="go()">Go</button>',
    '<p style="color: red">x</p>',
    "<style>p { color: red }</style>",
    '<a href="javascript:go()">Go</a>',
]


@pytest.mark.parametrize("snippet", BAD_SNIPPETS)
def test_both_scans_find_each_kind_of_inline_code(snippet):
    assert inline_code_in_page(f"<!doctype html><body>{snippet}</body>") != []
    assert inline_code_in_template(snippet) != []


def test_the_page_scan_lets_through_script_files_and_json_data():
    page = (
        '<script src="/static/lasting/chart.js" defer></script>'
        '<script id="spec" type="application/json">{"a": 1}</script>'
        '<link rel="stylesheet" href="/static/lasting/lasting.css">'
        '<a href="/patients/">Patients</a>'
    )
    assert inline_code_in_page(page) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=template_name)
def test_no_template_carries_inline_code(path):
    found = inline_code_in_template(path.read_text())
    if template_name(path) in PRINTED_ONLY:
        found = [rule for rule in found if rule != "<style> block"]
    assert found == []


def test_the_templates_were_found():
    assert len(TEMPLATES) > 50
    assert {template_name(path) for path in TEMPLATES} >= {"clinic/base.html", *PRINTED_ONLY}


def test_the_printed_report_carries_the_pages_stylesheet_inline():
    """WeasyPrint gets the rules the page links as a static file (reports/styles.css)."""
    stylesheet = finders.find("reports/styles.css")
    assert isinstance(stylesheet, str)
    rule = Path(stylesheet).read_text().splitlines()[1]
    assert rule.startswith(".report ")
    assert rule in render_to_string("reports/pdf_base.html")


def test_the_policy_is_enforced_not_only_reported(client):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy-Report-Only" not in response.headers
    assert directives(response.headers["Content-Security-Policy"]) == POLICY


@pytest.mark.usefixtures("matrix_world")
class TestEveryPage:
    @pytest.mark.parametrize(("name", "pattern", "parameters"), list_routes())
    def test_route(self, matrix_world, name, pattern, parameters):
        """Every caller's answer carries the policy; no HTML page carries inline code."""
        path = path_of(name, parameters, matrix_world)
        problems = []
        for caller in CALLERS:
            client = matrix_world["clients"][caller]
            jar = copy.deepcopy(client.cookies)
            with transaction.atomic():
                response = client.get(path)
                transaction.set_rollback(True)
            client.cookies = jar  # a page that signs out must not sign out the next test
            header = response.headers.get("Content-Security-Policy", "")
            if directives(header) != POLICY:
                problems.append(f"{caller} ({response.status_code}): policy {header!r}")
            if response.headers.get("Content-Type", "").startswith("text/html"):
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                found = inline_code_in_page(body.decode())
                if found:
                    problems.append(f"{caller} ({response.status_code}): {sorted(set(found))}")
        assert problems == [], path
