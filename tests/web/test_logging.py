"""Logs carry no link tokens and no exception messages (which may quote patient data)."""

from __future__ import annotations

import logging

from lasting.audit.redaction import RedactingFilter


def format_through_filter(record: logging.LogRecord) -> str:
    RedactingFilter().filter(record)
    return logging.Formatter("%(message)s").format(record)


def test_link_tokens_are_redacted_from_request_logs():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Gone", "/c/abc123.signature-xyz/"),
        None,
    )
    text = format_through_filter(record)
    assert text == "Gone: /c/<redacted>/"


def test_exception_messages_are_withheld_but_the_frames_kept():
    # Built at run time so the traceback's source line does not itself hold the values.
    message = "Key (record_number)=({}) already exists for {}".format("CW-10042", "Moreno")
    try:
        raise ValueError(message)
    except ValueError:
        import sys

        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/patients/3/",),
            sys.exc_info(),
        )
    text = format_through_filter(record)
    assert "ValueError: <message withheld>" in text
    assert "test_logging.py" in text
    assert "Moreno" not in text
    assert "CW-10042" not in text


def test_dict_and_bytes_arguments_are_redacted_too():
    record = logging.LogRecord(
        "lasting", logging.INFO, __file__, 1, "%(path)s", ({"path": "/c/tok.en/"},), None
    )
    assert format_through_filter(record) == "/c/<redacted>/"
    record = logging.LogRecord(
        "lasting", logging.INFO, __file__, 1, "%s", (b"/me/sign-in/tok.en/",), None
    )
    assert format_through_filter(record) == "/me/sign-in/<redacted>/"


def test_every_handler_of_djangos_loggers_redacts():
    """Django's default handlers (debug console, admin e-mails, the dev server's) are
    replaced by the one redacting handler, so no log path skips the redaction."""
    for name in ("django", "django.request", "django.server", "django.security"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue  # the test runner's own capture
                assert any(isinstance(f, RedactingFilter) for f in handler.filters), (
                    logger.name,
                    handler,
                )
            logger = logger.parent if logger.propagate else None
