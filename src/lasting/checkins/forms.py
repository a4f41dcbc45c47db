"""The patient's check-in form, built from the instrument definitions and their texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from lasting_core.instruments import (
    InstrumentCode,
    Score,
    ScoringError,
    get_instrument,
    load_texts,
)

NOTE_MAX_LENGTH = 2000


class IssueLinkForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        choices=[(code.value, get_instrument(code).name) for code in InstrumentCode],
        widget=forms.CheckboxSelectMultiple,
        initial=[InstrumentCode.PHQ9.value, InstrumentCode.GAD7.value],
    )


def field_name(instrument: str, item: str) -> str:
    return f"{instrument}__{item}"


class CheckInForm(forms.Form):
    """One radio group per item.

    Questionnaire items may be skipped: the core prorates a PHQ-9 with up to two missing
    answers and flags a skipped item 9 for follow-up, which is better than refusing the
    whole check-in. Only the daily check's core items are required.
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self, *args: Any, instruments: Sequence[str], language: str = "en", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = [InstrumentCode(code) for code in instruments]
        self.sections: list[dict[str, Any]] = []
        for code in self.instruments:
            instrument = get_instrument(code)
            texts = load_texts(code, language)
            names = []
            for item in instrument.items:
                name = field_name(code.value, item.key)
                choices = [(str(value), label) for value, label in texts.options[item.key]]
                self.fields[name] = forms.TypedChoiceField(
                    label=texts.items[item.key],
                    choices=choices,
                    coerce=int,
                    required=code == InstrumentCode.DAILY and not item.optional,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Please answer this question."},
                )
                names.append(name)
            self.sections.append({"code": code.value, "texts": texts, "field_names": names})
        if InstrumentCode.DAILY in self.instruments:
            self.fields["note"] = forms.CharField(
                label="Anything you want your care team to know? (optional)",
                required=False,
                max_length=NOTE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def section_fields(self) -> list[dict[str, Any]]:
        return [
            {**section, "fields": [self[name] for name in section["field_names"]]}
            for section in self.sections
        ]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        scores: list[Score] = []
        for code in self.instruments:
            instrument = get_instrument(code)
            answers: dict[str, int | None] = {}
            for item in instrument.items:
                value = cleaned.get(field_name(code.value, item.key))
                if value in (None, ""):
                    if not item.optional:
                        answers[item.key] = None
                else:
                    answers[item.key] = int(value)
            try:
                scores.append(instrument.score(answers))
            except ScoringError as error:
                raise forms.ValidationError(f"{instrument.name}: {error}") from error
        cleaned["scores"] = scores
        return cleaned


TAKEN_AT_FORMAT = "%Y-%m-%dT%H:%M"


class WallTimeField(forms.DateTimeField):
    """A date and time as read off a clock, with no zone: the form names the clock."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        wall = forms.fields.BaseTemporalField.to_python(self, str(value))
        return wall if isinstance(wall, datetime) else None


def instant_on_clock(wall: datetime, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Return the UTC instant a wall time names on ``zone``'s clock, None if the clock
    skipped it (the hour lost when daylight saving starts).

    In the hour that happens twice when daylight saving ends, the later reading is
    meant unless it is still to come.
    """
    readings: list[datetime] = []
    for fold in (1, 0):  # the later reading first
        reading = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if reading.astimezone(zone).replace(tzinfo=None) == wall and reading not in readings:
            readings.append(reading)
    past = [reading for reading in readings if reading <= now]
    chosen = past or readings
    return chosen[0] if chosen else None


class ClinicCheckInForm(CheckInForm):
    """A questionnaire the patient filled in at the clinic, entered by a clinician or nurse.

    ``taken_at`` is wall time on the organisation's clock (``zone``); it defaults to now
    and cannot lie in the future.
    """

    taken_at = WallTimeField(
        label="Taken at (clinic time)",
        input_formats=[TAKEN_AT_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=TAKEN_AT_FORMAT),
        error_messages={"required": "Enter when the questionnaire was taken."},
    )

    def __init__(
        self,
        *args: Any,
        instruments: Sequence[str],
        zone: ZoneInfo,
        now: datetime,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, instruments=instruments, **kwargs)
        self.zone = zone
        self.now = now
        self.fields["taken_at"].initial = now.astimezone(zone).strftime(TAKEN_AT_FORMAT)

    def clean_taken_at(self) -> datetime:
        wall: datetime = self.cleaned_data["taken_at"]
        taken_at = instant_on_clock(wall, self.zone, self.now)
        if taken_at is None:
            raise forms.ValidationError(
                "The clinic's clocks skipped this time (daylight saving started); "
                "enter the time again."
            )
        if taken_at > self.now:
            raise forms.ValidationError("The time taken cannot be in the future.")
        return taken_at
