"""Who may open and post the life-event, medication and therapy pages and the export:
every role and a clinician of another organisation (personas: tests/personas.py).
The patient's own report page is tested in tests/web/test_portal_life_events.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lasting.accounts.clocks import today_in
from lasting.treatment.models import LifeEvent, MedicationChange, TherapyEvent
from tests.personas import client_for

pytestmark = pytest.mark.django_db

PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")
#                  ana  ben  cara  sam  dora olga
ENTRY = (200, 200, 200, 403, 403, 404)
PAGES = {
    "life_event": (lambda p: reverse("intake:new_life_event", args=[p.pk]), ENTRY),
    "medication": (lambda p: reverse("intake:new_medication_change", args=[p.pk]), ENTRY),
    "therapy": (lambda p: reverse("intake:new_therapy_event", args=[p.pk]), ENTRY),
    "export": (lambda p: reverse("treatment:life_context_export"), (200, 200, 200, 403, 403, 200)),
    "export_one": (
        lambda p: reverse("treatment:life_context_export") + f"?patient={p.pk}",
        ENTRY,
    ),
}


def bodies(patient) -> dict[str, dict[str, str]]:
    day = today_in(patient.time_zone).isoformat()
    return {
        "life_event": {"kind": "move", "occurred_on": day, "weight": "1"},
        "medication": {
            "changed_on": day,
            "change": "stop",
            "drug_name": "Quetiapine",
            "drug_class": "antipsychotic",
        },
        "therapy": {"occurred_on": day, "kind": "session", "therapy": "CBT"},
    }


ROWS = {"life_event": LifeEvent, "medication": MedicationChange, "therapy": TherapyEvent}


@pytest.mark.parametrize(("page", "persona"), [(p, who) for p in PAGES for who in PERSONAS])
def test_each_page_answers_each_persona_as_the_rules_say(personas, page, persona):
    url, expected = PAGES[page]
    response = client_for(persona).get(url(personas.paul))
    assert response.status_code == expected[PERSONAS.index(persona)]


@pytest.mark.parametrize(("page", "persona"), [(p, who) for p in ROWS for who in PERSONAS])
def test_only_clinicians_and_nurses_of_the_clinic_store_anything(personas, page, persona):
    url, expected = PAGES[page]
    response = client_for(persona).post(url(personas.paul), bodies(personas.paul)[page])
    allowed = expected[PERSONAS.index(persona)] == 200
    assert response.status_code == (302 if allowed else expected[PERSONAS.index(persona)])
    assert ROWS[page].objects.filter(patient=personas.paul).count() == (1 if allowed else 0)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_login(personas, page):
    response = Client().get(PAGES[page][0](personas.paul))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_foreign_clinicians_export_holds_nothing_of_clinic_a(personas):
    client_for("dr_ana").post(
        reverse("intake:new_therapy_event", args=[personas.paul.pk]),
        bodies(personas.paul)["therapy"],
    )
    own = client_for("dr_ana").get(reverse("treatment:life_context_export"))
    foreign = client_for("dr_olga").get(reverse("treatment:life_context_export"))
    assert own.content.decode().count("\n") == 2  # the header and Paul's therapy row
    assert foreign.content.decode().count("\n") == 1  # the header only
