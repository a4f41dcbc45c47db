"""Keep check-in link tokens and exception messages out of the logs.

Exception messages can carry values from the data (a database error quoting a record
number, a validation message with a name), so a logged traceback keeps its frames and
the exception's type, and withholds its message. URLs of check-in links carry the link's
secret token, so paths under /c/ are shortened to /c/<redacted>/; so do patients'
sign-in links, shortened to /me/sign-in/<redacted>/.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

TOKEN_PATH = re.compile(r"/(c|me/sign-in)/(?!sent/)[^/\s\"']+/?")


def redact_text(text: str) -> str:
    return TOKEN_PATH.sub(r"/\1/<redacted>/", text)


def redact_value(value: object) -> object:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return redact_text(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: redact_value(value) for key, value in record.args.items()}
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            frames = "".join(traceback.format_tb(trace))
            record.exc_text = (
                f"Traceback (most recent call last):\n{frames}{kind.__name__}: <message withheld>"
            )
            record.exc_info = None
        return True
