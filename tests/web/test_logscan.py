"""The suite's log scan (tests/logscan.py) finds what it is meant to find."""

from __future__ import annotations

from tests.logscan import leaks


def test_the_log_scan_finds_names_addresses_and_link_tokens():
    values = {"Moreno", "paul@example.org", "+13035550142"}
    lines = [
        "lasting.portal INFO GET /c/AbCdEf1234567890xyz/ 200",
        "lasting.alerts INFO alert for Moreno opened",
        "django.request ERROR mail to paul@example.org failed",
        "lasting.outreach INFO text to +13035550142",
        "lasting.portal INFO GET /c/<redacted>/ 200",
        'lasting.audit.anchor INFO audit anchor {"count": 3}',
        "lasting.clinic INFO Morenoville is not a patient",
    ]
    assert leaks(lines, values) == lines[:4]
