"""What the FHIR interface returns: every resource type valid R4 (fhir.resources.R4B),
coded from the instrument definitions, searchable by patient and date, paged with
Bundles, and audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.fhir.capability import SEARCH_PARAMETERS
from lasting.fhir.resources import LOINC
from lasting.fhir.views import READERS, SEARCHERS
from lasting.plans.models import MaintenancePlan
from lasting_core.instruments import get_instrument
from tests.factories import make_patient, make_phq9, make_session
from tests.fhir.support import bearer, fhir_json, token_for

pytestmark = pytest.mark.django_db


def get(world, caller, path):
    return world["clients"][caller].get(path)


def relative(url: str) -> str:
    return urlsplit(url)._replace(scheme="", netloc="").geturl()


def loinc_codes(coded) -> set[str]:
    return {c["code"] for c in coded.get("coding", coded.get("code", [])) if c["system"] == LOINC}


@pytest.mark.usefixtures("fhir_world")
class TestReadAndSearch:
    def test_the_capability_statement_names_what_the_server_does(self, fhir_world):
        statement = fhir_json(get(fhir_world, "anonymous", "/fhir/metadata"))
        assert statement["fhirVersion"] == "4.0.1"
        declared = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
        assert set(declared) == set(READERS) == set(SEARCHERS) | {"QuestionnaireResponse"}
        assert {"code": "create"} in declared["QuestionnaireResponse"]["interaction"]

    @pytest.mark.parametrize(
        ("resource_type", "parameter"),
        [(kind, name) for kind, names in SEARCH_PARAMETERS.items() for name, _type in names],
    )
    def test_every_declared_search_parameter_is_accepted(
        self, fhir_world, resource_type, parameter
    ):
        paul = fhir_world["personas"].paul.pk
        values = {"date": "ge2026-01-01", "authored": "lt2100", "birthdate": "1980-05-17"}
        value = values.get(parameter, str(paul) if parameter != "code" else "44261-6")
        path = f"/fhir/{resource_type}?{parameter}={value}"
        if resource_type == "Observation" and parameter not in ("patient", "subject"):
            path += f"&patient={paul}"
        assert get(fhir_world, "dr_ana", path).status_code == 200, path

    def test_an_unsupported_parameter_is_refused_by_name(self, fhir_world):
        response = get(fhir_world, "dr_ana", "/fhir/Observation?value-quantity=gt10")
        outcome = fhir_json(response)
        assert response.status_code == 400
        assert "value-quantity" in outcome["issue"][0]["diagnostics"]

    def test_the_patient_carries_name_record_number_and_birth_date(self, fhir_world):
        paul = fhir_world["personas"].paul
        patient = fhir_json(get(fhir_world, "sam_front", f"/fhir/Patient/{paul.pk}"))
        assert patient["name"] == [{"family": "Moreno", "given": ["Paul"]}]
        assert patient["identifier"][0]["value"] == "PAUL-REC-4242"
        assert patient["birthDate"] == paul.date_of_birth.isoformat()

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("identifier=PAUL-REC-4242", True),
            ("identifier=urn:lasting:record-number|paul-rec-4242", True),
            ("identifier=other|PAUL-REC-4242", False),
            ("name=mor", True),
            ("name=paul moreno", True),
            ("name=smith", False),
            ("birthdate=1980-05-17", True),
            ("birthdate=ge1980-06&birthdate=lt1990", False),
            ("birthdate=1980", True),
        ],
    )
    def test_patients_are_found_by_identifier_name_and_birth_date(self, fhir_world, query, found):
        bundle = fhir_json(get(fhir_world, "dr_ana", f"/fhir/Patient?{query}"))
        ids = [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        assert (str(fhir_world["personas"].paul.pk) in ids) is found

    def test_questionnaires_carry_only_the_instruments_own_loinc_codes(self, fhir_world):
        bundle = fhir_json(get(fhir_world, "admin_dora", "/fhir/Questionnaire"))
        served = {entry["resource"]["id"]: entry["resource"] for entry in bundle["entry"]}
        assert {"phq9", "gad7", "pcl5", "daily"} <= set(served)
        for questionnaire in served.values():
            instrument = get_instrument(questionnaire["id"].replace("-", "_"))
            assert loinc_codes(questionnaire) == {c for c in [instrument.loinc_panel] if c}
            for item in questionnaire["item"]:
                loinc = instrument.get_item(item["linkId"]).loinc
                assert loinc_codes(item) == ({loinc} if loinc else set())
        assert loinc_codes(served["phq9"]) == {"44249-1"}
        assert loinc_codes(served["phq9"]["item"][8]) == {"44260-8"}

    def test_the_phq9_total_follows_us_core(self, fhir_world):
        ids = fhir_world["ids"]
        total = fhir_json(get(fhir_world, "rn_cara", f"/fhir/Observation/{ids['Observation']}"))
        assert total["category"][0]["coding"][0]["code"] == "survey"
        assert loinc_codes(total["code"]) == {"44261-6"}
        assert total["valueQuantity"]["value"] == 20
        assert total["derivedFrom"] == [
            {"reference": f"QuestionnaireResponse/{ids['QuestionnaireResponse']}"}
        ]
        members = [member["reference"] for member in total["hasMember"]]
        assert len(members) == 9
        item9 = fhir_json(get(fhir_world, "rn_cara", f"/fhir/{members[8]}"))
        assert (loinc_codes(item9["code"]), item9["valueInteger"]) == ({"44260-8"}, 2)

    def test_the_questionnaire_response_holds_every_answer(self, fhir_world):
        ids = fhir_world["ids"]
        path = f"/fhir/QuestionnaireResponse/{ids['QuestionnaireResponse']}"
        response = fhir_json(get(fhir_world, "dr_ana", path))
        assert response["questionnaire"].split("|")[0].endswith("/Questionnaire/phq9")
        assert response["item"][8]["answer"][0]["valueCoding"]["code"] == "2"

    def test_observations_are_searched_by_patient_date_and_code(self, fhir_world):
        paul = fhir_world["personas"].paul
        make_phq9(paul, 8, submitted_at=timezone.now() - timedelta(days=40))
        # A bare date is a day on the clinic's clock.
        since = (today_in(paul.organization.time_zone) - timedelta(days=10)).isoformat()
        path = f"/fhir/Observation?patient={paul.pk}&code=44261-6"
        recent = fhir_json(get(fhir_world, "dr_ana", f"{path}&date=ge{since}"))
        older = fhir_json(get(fhir_world, "dr_ana", f"{path}&date=lt{since}"))
        every = fhir_json(get(fhir_world, "dr_ana", f"/fhir/Observation?subject=Patient/{paul.pk}"))
        assert [e["resource"]["valueQuantity"]["value"] for e in recent["entry"]] == [20]
        assert [e["resource"]["valueQuantity"]["value"] for e in older["entry"]] == [8]
        assert every["total"] == 2 * (1 + 9)

    def test_pages_follow_next_links_without_repeats(self, fhir_world):
        paul = fhir_world["personas"].paul
        client = fhir_world["clients"]["dr_ana"]
        path, seen = f"/fhir/Observation?patient={paul.pk}&_count=4", []
        while path:
            bundle = fhir_json(client.get(path))
            assert len(bundle["entry"]) <= 4
            seen += [entry["resource"]["id"] for entry in bundle["entry"]]
            following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
            path = relative(following[0]) if following else ""
        assert len(seen) == len(set(seen)) == bundle["total"] == 10

    def test_a_bad_count_is_refused(self, fhir_world):
        assert get(fhir_world, "dr_ana", "/fhir/Patient?_count=0").status_code == 400
        assert get(fhir_world, "dr_ana", "/fhir/Observation?date=ge2026").status_code == 400
        assert get(fhir_world, "dr_ana", "/fhir/Flag?patient=Paul").status_code == 400

    def test_sessions_appointments_and_alerts_are_served(self, fhir_world):
        ids = fhir_world["ids"]
        procedure = fhir_json(get(fhir_world, "rn_cara", f"/fhir/Procedure/{ids['Procedure']}"))
        assert "esketamine" in procedure["code"]["text"]
        appointment = fhir_json(
            get(fhir_world, "sam_front", f"/fhir/Appointment/{ids['Appointment']}")
        )
        assert appointment["status"] == "booked"
        assert "LOT-4471" not in str(appointment)
        flag = fhir_json(get(fhir_world, "rn_cara", f"/fhir/Flag/{ids['Flag']}"))
        priority = flag["extension"][0]["valueCodeableConcept"]
        assert (flag["status"], priority["coding"][0]["code"]) == ("active", "PH")

    def test_the_maintenance_plan_is_for_clinicians_and_the_prevention_plan_for_nurses_too(
        self, fhir_world
    ):
        paul = fhir_world["personas"].paul
        plan = MaintenancePlan.objects.get(patient=paul)
        path = f"/fhir/CarePlan/maintenance-{plan.pk}"
        assert fhir_json(get(fhir_world, "dr_ana", path))["title"] == "Maintenance plan"
        assert get(fhir_world, "rn_cara", path).status_code == 403
        by_nurse = fhir_json(get(fhir_world, "rn_cara", f"/fhir/CarePlan?patient={paul.pk}"))
        by_clinician = fhir_json(get(fhir_world, "dr_ana", f"/fhir/CarePlan?patient={paul.pk}"))
        assert [e["resource"]["id"] for e in by_nurse["entry"]] == [fhir_world["ids"]["CarePlan"]]
        assert len(by_clinician["entry"]) == 2

    def test_a_nurse_never_reads_an_engine_alert(self, fhir_world):
        paul = fhir_world["personas"].paul
        engine = Alert.objects.create(
            organization=paul.organization,
            patient=paul,
            kind=AlertKind.EARLY_WARNING,
            priority=Priority.REVIEW,
            reason="rising",
            opened_at=timezone.now(),
        )
        assert get(fhir_world, "rn_cara", f"/fhir/Flag/{engine.pk}").status_code == 403
        flags = fhir_json(get(fhir_world, "rn_cara", f"/fhir/Flag?patient={paul.pk}"))
        assert str(engine.pk) not in [entry["resource"]["id"] for entry in flags["entry"]]
        assert get(fhir_world, "dr_ana", f"/fhir/Flag/{engine.pk}").status_code == 200

    def test_reads_and_searches_are_audited_with_the_patient(self, fhir_world):
        paul = fhir_world["personas"].paul
        other = make_patient(paul.organization, family_name="Quiet")
        start = AuditEvent.objects.count()
        get(fhir_world, "dr_ana", f"/fhir/Patient/{paul.pk}")
        get(fhir_world, "dr_ana", "/fhir/Patient?_count=200")
        get(fhir_world, "dr_olga", f"/fhir/Patient/{paul.pk}")
        events = list(AuditEvent.objects.order_by("pk")[start:])
        read, *searched, refused = events
        assert (read.action, read.patient_id) == (Action.READ, paul.pk)
        assert {e.action for e in searched} == {Action.SEARCH}
        assert {paul.pk, other.pk} <= {e.patient_id for e in searched}
        assert (refused.outcome, refused.object_id) == (Outcome.DENIED, str(paul.pk))


def test_the_documented_codes_are_the_instruments_own():
    """docs/fhir.md lists every LOINC code the definitions carry, so it cannot drift."""
    documented = (Path(__file__).parents[2] / "docs" / "fhir.md").read_text()
    for code in ("phq9", "gad7", "pain_nrs"):
        instrument = get_instrument(code)
        codes = [instrument.loinc_panel, instrument.loinc_total]
        codes += [item.loinc for item in instrument.items]
        assert [c for c in codes if c and c not in documented] == [], code


@pytest.mark.parametrize(
    "resource_type", ["Patient", "QuestionnaireResponse", "Observation", "Procedure", "Flag"]
)
def test_a_search_page_costs_the_same_queries_for_one_row_or_many(personas, resource_type):
    client = bearer(token_for(personas, "dr_ana"))
    paul = personas.paul
    path = f"/fhir/{resource_type}?patient={paul.pk}"
    if resource_type == "Patient":
        path = "/fhir/Patient?name=paul"
    make_phq9(paul, 12, item9=1)
    make_session(paul)
    client.get(path)  # the token's first use is written down once

    def queries_of() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    one = queries_of()
    for days in (3, 5, 8):
        make_phq9(paul, days, item9=1, submitted_at=timezone.now() - timedelta(days=days))
        make_session(paul, started_at=timezone.now() - timedelta(days=days + 1))
        make_patient(paul.organization, given_name="Paula")
    assert queries_of() == one
