"""The clinician's plan form: the Stanley-Brown sections, the tracked warning signs, a reason."""

from __future__ import annotations

from typing import Any

from django import forms

from lasting.prevention.models import AnswerType, Direction, PlanVersion, threshold_problem
from lasting.prevention.services import ItemDraft

TEXTAREA = forms.Textarea(attrs={"rows": 3})

SECTION_LABELS = {
    "warning_signs": "1. Warning signs: thoughts, moods, situations, behaviour",
    "coping_strategies": "2. Coping strategies: things I can do on my own",
    "people_and_places": "3. People and social settings that help me take my mind off things",
    "help_contacts": "4. People I can ask for help (names and phone numbers)",
    "professional_contacts": "5. Professionals and agencies I can contact, and the crisis line",
    "safe_environment": "6. Making the environment safe",
    "practice": "Therapy or skills practice, and how often",
}


class PlanForm(forms.ModelForm[PlanVersion]):
    reason = forms.CharField(
        label="Why does the plan change?",
        max_length=500,
        help_text="Kept with this version, e.g. 'first plan, written with the patient'.",
        error_messages={"required": "Say why the plan changes."},
    )
    # The version the form was opened on, so a second click or a colleague's edit in
    # between is refused instead of stored twice or undone.
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = PlanVersion
        fields = list(SECTION_LABELS)
        labels = SECTION_LABELS
        widgets = dict.fromkeys(SECTION_LABELS, TEXTAREA)


class ItemForm(forms.Form):
    """One tracked warning sign. A blank extra row is ignored."""

    item_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    warning_sign = forms.CharField(
        label="Warning sign", max_length=120, required=False, help_text="e.g. Sleeping badly"
    )
    question = forms.CharField(
        label="Question, in the patient's language",
        max_length=300,
        required=False,
    )
    question_es = forms.CharField(label="Spanish text (optional)", max_length=300, required=False)
    answer_type = forms.ChoiceField(
        label="Answer", choices=AnswerType.choices, initial=AnswerType.SCALE
    )
    threshold = forms.FloatField(label="Personal threshold", required=False)
    direction = forms.ChoiceField(
        label="A warning when the answer is",
        choices=Direction.choices,
        initial=Direction.AT_OR_BELOW,
    )
    active = forms.BooleanField(label="Ask in the daily check", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.initial.get("item_id"):
            # Its answers would change meaning: retire it and add a new sign instead.
            self.fields["answer_type"].disabled = True
            self.fields["answer_type"].help_text = "Fixed once answers may exist."

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("item_id") and not data.get("warning_sign") and not data.get("question")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.is_blank():
            return cleaned
        for name, message in (
            ("warning_sign", "Name the warning sign."),
            ("question", "Write the question the patient answers."),
            ("threshold", "Enter the patient's threshold."),
        ):
            if cleaned.get(name) in (None, ""):
                self.add_error(name, message)
        threshold = cleaned.get("threshold")
        if threshold is not None and cleaned.get("answer_type") and cleaned.get("direction"):
            problem = threshold_problem(cleaned["answer_type"], cleaned["direction"], threshold)
            if problem:
                self.add_error("threshold", problem)
        return cleaned

    def draft(self) -> ItemDraft:
        data = self.cleaned_data
        return ItemDraft(
            item_id=data.get("item_id") or None,
            warning_sign=data["warning_sign"],
            question=data["question"],
            question_es=data.get("question_es", ""),
            answer_type=data["answer_type"],
            threshold=float(data["threshold"]),
            direction=data["direction"],
            active=bool(data.get("active")),
        )


ItemFormSet = forms.formset_factory(ItemForm, extra=2, max_num=30)


def item_drafts(formset: Any) -> list[ItemDraft]:
    """The drafts of a valid formset's filled-in rows."""
    return [form.draft() for form in formset.forms if not form.is_blank()]
