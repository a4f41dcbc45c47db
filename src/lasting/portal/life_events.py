"""The patient's own report of a stressful life event, from their page (`/me/life-event/`).

The form is in the patient's words and language; the report enters through the one door
(`intake.services.record_life_event`, source "patient"), which screens the note as a
check-in's note is screened: a match opens a safety alert, and the page that thanks the
patient shows the crisis resources first, as after a check-in.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache

from lasting.accounts.clocks import today_in
from lasting.intake.services import record_life_event, report_unstored_life_event
from lasting.patients.models import Patient
from lasting.portal.sessions import find_session_patient, patient_session_actor
from lasting.portal.views import (
    CRISIS_NOTE,
    browser_language,
    patient_language,
    render_patient_page,
    sign_in_url,
    staff_refused,
)
from lasting.treatment.models import EntrySource, LifeEventKind, LifeEventWeight
from lasting_core.screening import screen_note

NOTE_MAX_LENGTH = 2000

# The kinds and weights in a patient's words; the stored values are the clinic's.
KIND_WORDS = [
    (LifeEventKind.BEREAVEMENT.value, gettext_lazy("A loss, or the death of someone close")),
    (LifeEventKind.RELATIONSHIP.value, gettext_lazy("Conflict or a break-up in a relationship")),
    (LifeEventKind.MOVE.value, gettext_lazy("Moving home")),
    (LifeEventKind.WORK.value, gettext_lazy("A new job, or losing a job")),
    (LifeEventKind.ILLNESS.value, gettext_lazy("An illness or injury, yours or someone close")),
    (LifeEventKind.OTHER.value, gettext_lazy("Something else")),
]
WEIGHT_WORDS = [
    (str(LifeEventWeight.MILD.value), pgettext_lazy("how stressful", "A little")),
    (str(LifeEventWeight.MODERATE.value), pgettext_lazy("how stressful", "Quite a lot")),
    (str(LifeEventWeight.SEVERE.value), pgettext_lazy("how stressful", "Very much")),
]


class LifeEventReportForm(forms.Form):
    """What happened, when (a day on the patient's own calendar), how stressful, a note."""

    kind = forms.ChoiceField(
        label=gettext_lazy("What happened?"), choices=KIND_WORDS, widget=forms.RadioSelect
    )
    occurred_on = forms.DateField(
        label=gettext_lazy("When did it happen?"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    weight = forms.TypedChoiceField(
        label=gettext_lazy("How stressful was it for you?"),
        choices=WEIGHT_WORDS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Anything you want your care team to know? (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "note-not-monitored"}),
    )

    # Filled when the form is served: the same report sent twice stores one event.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.today = today_in(patient.time_zone)
        self.fields["occurred_on"].widget.attrs["max"] = self.today.isoformat()
        self.fields["occurred_on"].initial = self.today
        for field in self.fields.values():
            field.error_messages["required"] = gettext("Please answer this question.")
            field.error_messages["invalid"] = gettext("Please enter a date.")
            field.error_messages["invalid_choice"] = gettext("Please answer this question.")

    def clean_occurred_on(self) -> Any:
        day = self.cleaned_data["occurred_on"]
        if day > self.today:
            raise ValidationError(gettext("The date cannot be after today."))
        if day < self.patient.date_of_birth:
            raise ValidationError(gettext("Please check the date."))
        return day


@never_cache
def report_life_event(request: HttpRequest) -> HttpResponse:
    """Tell the care team about a stressful life event; thank the patient, crisis help first
    when the note matched the screening list."""
    if request.user.is_authenticated:
        return staff_refused(request)
    session = find_session_patient(request)
    patient = session.patient
    if patient is None:
        ended = session.ended_for
        if request.method == "POST" and ended is not None:
            # Not stored (the session ended), but a note that matches still reaches the team
            # and crisis help shows before the sign-in page.
            note = request.POST.get("note", "")
            if report_unstored_life_event(ended, note, "the session had timed out"):
                return render_patient_page(
                    request,
                    "portal/life_event_timed_out.html",
                    {
                        "organization": ended.organization,
                        "patient": ended,
                        "needs_crisis_support": True,
                        "crisis_reason": CRISIS_NOTE,
                        "sign_in_url": sign_in_url(patient_language(ended), timed_out="1"),
                    },
                    language=patient_language(ended),
                    status=401,
                )
        flags = {"timed_out": "1"} if session.timed_out else {}
        return redirect(sign_in_url(browser_language(request), **flags))
    language = patient_language(patient)
    context: dict[str, object] = {
        "organization": patient.organization,
        "patient": patient,
        "signed_in": True,
    }
    with translation.override(language):
        form = LifeEventReportForm(request.POST or None, patient=patient)
        valid = request.method == "POST" and form.is_valid()
    if not valid:
        crisis = ""
        if request.method == "POST":
            # A report with an error is not stored; a note that matches still reaches the team.
            note = request.POST.get("note", "")
            if report_unstored_life_event(patient, note, "the form had errors") is not None:
                crisis = CRISIS_NOTE
        return render_patient_page(
            request,
            "portal/life_event_form.html",
            {
                **context,
                "form": form,
                "needs_crisis_support": bool(crisis),
                "crisis_reason": crisis,
            },
            language=language,
            status=422 if request.method == "POST" else 200,
        )
    actor = patient_session_actor(request, patient)
    try:
        record_life_event(
            actor,
            patient,
            {
                "kind": form.cleaned_data["kind"],
                "occurred_on": form.cleaned_data["occurred_on"],
                "weight": form.cleaned_data["weight"],
                "note": form.cleaned_data["note"],
                "idempotency_key": form.cleaned_data["idempotency_key"],
            },
            source=EntrySource.PATIENT,
        )
    except ValidationError:
        # The day turned between the form's check and the door's (the patient's midnight).
        with translation.override(language):
            form.add_error("occurred_on", gettext("The date cannot be after today."))
        refused = report_unstored_life_event(patient, form.cleaned_data["note"], "refused")
        return render_patient_page(
            request,
            "portal/life_event_form.html",
            {
                **context,
                "form": form,
                "needs_crisis_support": refused is not None,
                "crisis_reason": CRISIS_NOTE if refused is not None else "",
            },
            language=language,
            status=422,
        )
    crisis = CRISIS_NOTE if screen_note(form.cleaned_data["note"]).matched else ""
    return render_patient_page(
        request,
        "portal/life_event_done.html",
        {**context, "needs_crisis_support": bool(crisis), "crisis_reason": crisis},
        language=language,
    )
