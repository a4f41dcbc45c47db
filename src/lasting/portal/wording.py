"""Plain words for the patient's own page: no scores' jargon, no policy names."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.treatment.models import SessionKind
from lasting_core.instruments import BandCode

# PHQ-9 bands (docs/clinical.md#instruments) in the words a patient would use.
BAND_WORDS: dict[str, Promise] = {
    BandCode.MINIMAL.value: _("few or no symptoms"),
    BandCode.MILD.value: _("mild symptoms"),
    BandCode.MODERATE.value: _("moderate symptoms"),
    BandCode.MODERATELY_SEVERE.value: _("moderately severe symptoms"),
    BandCode.SEVERE.value: _("severe symptoms"),
}

SESSION_WORDS: dict[str, Promise] = {
    SessionKind.INDUCTION.value: _("Treatment session"),
    SessionKind.BOOSTER.value: _("Booster session"),
    SessionKind.MAINTENANCE.value: _("Maintenance session"),
}


def band_words(band: str) -> str:
    """The band in plain words, or "" for a band this page does not know."""
    words = BAND_WORDS.get(band)
    return str(words) if words is not None else ""


def session_words(kind: str) -> str:
    words = SESSION_WORDS.get(kind)
    return str(words) if words is not None else gettext("Appointment")


def describe_plan(plan: MaintenancePlan | None) -> str:
    """What the maintenance plan means for the patient, in one or two sentences."""
    if plan is None:
        return gettext(
            "Your care team has not set up a plan for after your first treatments yet. "
            "They will talk it through with you."
        )
    if plan.policy == PolicyChoice.FORECAST:
        return gettext(
            "Your care team watches your check-ins. When your answers suggest you may "
            "start to feel worse, they may offer you a booster session early, to try to "
            "keep your symptoms from coming back."
        )
    if plan.policy == PolicyChoice.SYMPTOM:
        return gettext(
            "Your care team watches your check-ins. If your answers show your symptoms "
            "are coming back, they offer you a booster session."
        )
    if plan.policy == PolicyChoice.FIXED:
        days = plan.fixed_interval_days
        if days % 7 == 0:
            weeks = days // 7
            return ngettext(
                "You have a booster session every week.",
                "You have a booster session every %(count)d weeks.",
                weeks,
            ) % {"count": weeks}
        return ngettext(
            "You have a booster session every day.",
            "You have a booster session every %(count)d days.",
            days,
        ) % {"count": days}
    return gettext(
        "You can ask for a booster session whenever you feel you need one. "
        "Contact your clinic to book it."
    )
