"""Scan every log line the suite produces for patient data: patients' names, e-mail
addresses and phone numbers (of every patient any test created) and check-in or sign-in
link tokens. The lines are captured after Lasting's own redaction, as the console handler
writes them; a leak fails the run and names the line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

TOKEN = re.compile(r"/(?:c|me/sign-in)/(?!<redacted>)(?!sent/)[A-Za-z0-9_\-:.]{8,}")
MIN_NAME_LENGTH = 4  # shorter names match ordinary words


class CapturedLines(logging.Handler):
    def __init__(self) -> None:
        from lasting.audit.redaction import RedactingFilter

        super().__init__(level=logging.DEBUG)
        self.addFilter(RedactingFilter())
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is not a leak
            self.lines.append(f"{record.name} <unformattable>")


_captured = CapturedLines.__new__(CapturedLines)
_patient_values: set[str] = set()


def _remember_patient(sender: object, instance: object, **kwargs: object) -> None:
    for field in ("given_name", "family_name", "email", "phone", "record_number"):
        value = str(getattr(instance, field, "") or "")
        if len(value) >= MIN_NAME_LENGTH:
            _patient_values.add(value)


@pytest.fixture(scope="session", autouse=True)
def capture_logs(django_db_setup: object) -> Iterator[None]:
    """Listen on the loggers Lasting configures (the root and Django's, which do not
    propagate) for the whole session, and remember every patient that is saved."""
    from django.db.models.signals import post_save

    from lasting.patients.models import Patient

    CapturedLines.__init__(_captured)
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("django.server")]
    for logger in loggers:
        logger.addHandler(_captured)
    post_save.connect(_remember_patient, sender=Patient, weak=False)
    yield
    post_save.disconnect(_remember_patient, sender=Patient)
    for logger in loggers:
        logger.removeHandler(_captured)


def leaks(lines: list[str], values: set[str]) -> list[str]:
    words = (
        re.compile(r"(?<![\w@+])(" + "|".join(map(re.escape, sorted(values))) + r")(?![\w@])")
        if values
        else None
    )
    found = []
    for line in lines:
        if TOKEN.search(line) or (words is not None and words.search(line)):
            found.append(line[:300])
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    lines = getattr(_captured, "lines", None)
    if not lines:
        return
    found = leaks(lines, _patient_values)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"patient data in {len(found)} log line(s), e.g.:\n  " + "\n  ".join(found[:5])
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
