"""The done-when test of the FHIR interface: the `fhirclient` library (R4 models), a real
client over HTTP against a running server, signed in with a nurse's personal API token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.models.questionnaire import Questionnaire
from fhirclient.models.questionnaireresponse import QuestionnaireResponse
from fhirclient.server import FHIRServer

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.checkins.models import Source
from tests.factories import make_phq9, phq9_answers
from tests.fhir.support import phq9_response, token_for
from tests.personas import make_personas

pytestmark = [pytest.mark.slow(seconds=6), pytest.mark.django_db(transaction=True)]


def test_a_fhir_client_reads_searches_and_posts_an_item9_that_opens_an_urgent_alert(live_server):
    personas = make_personas()
    paul = personas.paul
    make_phq9(paul, 14, submitted_at=timezone.now() - timedelta(days=30))
    make_phq9(paul, 9, submitted_at=timezone.now() - timedelta(days=2))
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir/")
    server.session.headers["Authorization"] = f"Bearer {token_for(personas, 'rn_cara')}"

    patient = Patient.read(str(paul.pk), server)
    assert (patient.name[0].family, patient.birthDate.isostring) == (
        "Moreno",
        paul.date_of_birth.isoformat(),
    )

    # Dates without a time are days on the clinic's clock.
    today = today_in(personas.clinic.time_zone)
    search = Observation.where(
        struct={
            "patient": patient.id,
            "code": "http://loinc.org|44261-6",
            "date": {"$gte": (today - timedelta(days=7)).isoformat()},
        }
    )
    totals = list(search.perform_resources_iter(server))
    assert [(o.valueQuantity.value, o.category[0].coding[0].code) for o in totals] == [
        (9, "survey")
    ]

    phq9 = Questionnaire.read("phq9", server)
    response = QuestionnaireResponse(
        {**phq9_response(paul.pk, phq9_answers(15, item9=2)), "questionnaire": phq9.url}
    )
    created = response.create(server)
    # Hang up before the test server stops, or its thread closes the database after it.
    server.session.close()

    alert = Alert.objects.get(patient=paul)
    assert (alert.kind, alert.priority, alert.status) == (
        AlertKind.SAFETY,
        Priority.URGENT,
        AlertStatus.OPEN,
    )
    assert alert.response is not None
    assert alert.response.checkin.source == Source.FHIR
    assert created["id"] == str(alert.response.pk)
