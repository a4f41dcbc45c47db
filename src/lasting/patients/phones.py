"""Patients' phone numbers: checked on entry and stored in E.164 (+13035550142), the one
form a text-message gateway, a tel: link and a search by digits all understand."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

E164 = re.compile(r"\+[1-9]\d{6,14}")


def to_e164(text: str, region: str) -> str:
    """Return `text` as an E.164 number; a number without a + is read as one of `region`
    (ISO 3166 code, e.g. US). Raises ValidationError saying what is wrong."""
    text = text.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            f"{text!r} is not a phone number. Write it as dialled in {region}, or with + "
            "and the country code (e.g. +1 303 555 0142)."
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"{text!r} is not a valid phone number in {region} (check the number of digits, "
            "or start with + and the country code)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """Refuse a stored phone number that is not E.164 (forms convert with `to_e164`)."""
    if value and not E164.fullmatch(value):
        raise ValidationError(f"{value!r} is not in E.164 form (+, country code, number).")
