"""The patient's check-in form, built from the instrument definitions and their texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
