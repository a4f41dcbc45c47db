"""Password rules beyond Django's own (NIST SP 800-63B: allow long passphrases, cap at 128)."""

from __future__ import annotations

import itertools
import re

from django.core.exceptions import ValidationError

MAX_PASSWORD_LENGTH = 128


class MaximumLengthValidator:
    def validate(self, password: str, user: object = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                f"This password is too long: use at most {MAX_PASSWORD_LENGTH} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {MAX_PASSWORD_LENGTH} characters long."


# A password of fewer distinct characters than this is a repetition, whatever its length.
MIN_DISTINCT_CHARACTERS = 5
# The share of neighbouring characters that repeat or step by one ("aaaa", "1234", "dcba")
# at which a password counts as sequential.
MAX_SEQUENTIAL_SHARE = 0.75


class RepetitionValidator:
    """Refuse repetitive and sequential passwords ("aaaaaaaaaaaa", "123456789012",
    "abababababab"), which NIST SP 800-63B section 5.1.1.2 names among those a verifier
    should reject; long passphrases of ordinary words pass."""

    def validate(self, password: str, user: object = None) -> None:
        if is_repetitive(password):
            raise ValidationError(
                "This password repeats or counts characters (like aaaa, 1234 or abab): "
                "use a few unrelated words instead.",
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return "Your password can't be a repetition or a sequence such as aaaa or 1234."


def is_repetitive(password: str) -> bool:
    if len(set(password.casefold())) < MIN_DISTINCT_CHARACTERS:
        return True
    if re.fullmatch(r"(.+?)\1+", password.casefold()):
        return True
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(password)]
    sequential = sum(step in (-1, 0, 1) for step in steps)
    return bool(steps) and sequential / len(steps) >= MAX_SEQUENTIAL_SHARE
