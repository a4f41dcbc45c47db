"""Every patient-facing page in Spanish, and the committed catalogue matching its source.

Personas (tests/web/portal_support.py): patient_pia prefers Spanish, patient_paul
English; both in Clinic A. Licensed questionnaires are never translated by Lasting: PHQ-9
and GAD-7 use their official Spanish texts, the PCL-5 stays in English with one line saying
so. The daily check and the pain NRS are Lasting's own wording, translated by Lasting.
"""

from __future__ import annotations

import ast
import gettext
import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lasting.checkins.services import issue_link
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.treatment.models import Appointment, SessionKind
from lasting_core.instruments import InstrumentCode
from tests.factories import SYSTEM, make_crisis_resource, make_phq9, sign_in
from tests.web.portal_support import (
    PIA_EMAIL,
    World,
    make_world,
    request_link,
    signed_in_client,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

SOURCE = Path(__file__).resolve().parents[2] / "src"
PORTAL_PO = SOURCE / "lasting/portal/locale/es/LC_MESSAGES/django.po"
ONLY_IN_ENGLISH = "Este cuestionario solo está disponible en inglés."


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


# A tiny reader of .po files: enough for the catalogues this project writes.


def read_po(path: Path) -> dict[object, str]:
    """Return the catalogue msgfmt would compile: keys as gettext.GNUTranslations keeps them.

    Fuzzy and untranslated entries are left out, as msgfmt leaves them out.
    """
    catalogue: dict[object, str] = {}
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, str] = {}
        flags = ""
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if "fuzzy" in flags and fields.get("msgid"):
            continue
        msgid = fields["msgid"]
        if "msgctxt" in fields:
            msgid = f"{fields['msgctxt']}\x04{msgid}"
        if "msgid_plural" in fields:
            forms = {k: v for k, v in fields.items() if k.startswith("msgstr[")}
            if all(forms.values()):
                for name, text in forms.items():
                    catalogue[(msgid, int(name[7:-1]))] = text
        elif fields["msgstr"]:
            catalogue[msgid] = fields["msgstr"]
    return catalogue


def english_chrome() -> list[str]:
    """Every English text of the portal's own words, as it would appear in a page."""
    texts = []
    for key in read_po(PORTAL_PO):
        msgid = key[0] if isinstance(key, tuple) else key
        if not isinstance(msgid, str) or not msgid or "\x04" in msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]", msgid):
            if len(part.strip()) > 4:
                texts.append(html.escape(part.strip(" ."), quote=True))
    return texts


def assert_no_english_chrome(content: str, allowed: tuple[str, ...] = ()) -> None:
    left = [text for text in english_chrome() if text in content and text not in allowed]
    assert left == []


def spanish_link(world: World, instruments) -> str:
    issued = issue_link(SYSTEM, world.pia, list(instruments))
    return re.sub(r"^https?://[^/]+", "", issued.url)


def test_each_committed_mo_is_up_to_date_with_its_po():
    catalogues = sorted(SOURCE.glob("lasting/*/locale/*/LC_MESSAGES/*.po"))
    assert PORTAL_PO in catalogues
    for po in catalogues:
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run compilemessages"
        with mo.open("rb") as compiled:
            translations = gettext.GNUTranslations(compiled)
        # GNUTranslations keeps what it read in `_catalog`: the whole compiled catalogue.
        compiled_catalogue = dict(translations._catalog)  # type: ignore[attr-defined]
        source = read_po(po)
        assert set(compiled_catalogue) == set(source), f"{mo} is stale: run compilemessages"
        for key, text in source.items():
            assert compiled_catalogue[key] == text, (po.name, key)


def test_the_po_reader_sees_every_kind_of_entry():
    catalogue = read_po(PORTAL_PO)
    assert catalogue["Sign out"] == "Cerrar sesión"
    assert catalogue["date format: day and month\x04j F"] == "j \\d\\e F"
    assert catalogue[("You have a booster session every week.", 2)].endswith("semanas.")
    assert catalogue[""].startswith("Project-Id-Version")


def test_the_spanish_checkin_form_has_no_english_chrome(world):
    path = spanish_link(
        world,
        [InstrumentCode.PHQ9, InstrumentCode.GAD7, InstrumentCode.PCL5, InstrumentCode.DAILY],
    )
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    content = response.content.decode()
    assert '<html lang="es">' in content
    assert "Hola, Pia: ¿cómo se ha sentido?" in content
    assert "Enviar mis respuestas" in content
    # The official Spanish PHQ-9 and GAD-7, never Lasting's own translation.
    assert "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera" in content
    assert "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta" in content
    # The PCL-5 has no official Spanish text: English, said once.
    assert content.count(ONLY_IN_ENGLISH) == 1
    assert '<fieldset class="instrument" id="instrument-pcl5" lang="en">' in content
    assert '<fieldset class="instrument" id="instrument-phq9">' in content
    assert '<fieldset class="instrument" id="instrument-daily">' in content
    assert "¿Hay algo que quiera decirle a su equipo de atención? (opcional)" in content
    assert "Línea 988 de Prevención del Suicidio y Crisis" in content
    assert "Llamar al 988" in content
    assert_no_english_chrome(content)


def test_the_spanish_form_shows_the_daily_check_and_pain_nrs_in_spanish(world):
    path = spanish_link(world, [InstrumentCode.DAILY, InstrumentCode.PAIN_NRS])
    content = Client().get(path).content.decode()
    assert ONLY_IN_ENGLISH not in content
    assert '<fieldset class="instrument" id="instrument-daily">' in content
    assert '<fieldset class="instrument" id="instrument-pain_nrs">' in content
    for spanish in (
        "Registro diario",
        "¿Cómo ha estado su estado de ánimo hoy?",
        "¿Qué tan bien durmió anoche?",
        "¿Qué tan estresado(a) se ha sentido hoy?",
        "¿Cuánto dolor ha tenido hoy?",
        "Intensidad del dolor (escala numérica de 0 a 10)",
        "en promedio, en las últimas 24 horas",
        "El peor dolor que se pueda imaginar",
        "Sin dolor",
    ):
        assert html.escape(spanish, quote=False) in content, spanish
    for english in (
        "How has your mood been today?",
        "How well did you sleep last night?",
        "Pain as bad as you can imagine",
        "No pain",
    ):
        assert english not in content
    assert_no_english_chrome(content)


def test_an_english_patient_sees_no_spanish_note(world):
    issued = issue_link(SYSTEM, world.paul, [InstrumentCode.PCL5])
    content = Client().get(re.sub(r"^https?://[^/]+", "", issued.url)).content.decode()
    assert ONLY_IN_ENGLISH not in content
    assert "This questionnaire is only available in English." not in content
    assert "Send my check-in" in content


def test_a_missing_answer_is_named_in_spanish(world):
    path = spanish_link(world, [InstrumentCode.DAILY])
    response = Client().post(path, {"idempotency_key": "k-es-missing"})
    assert response.status_code == 422
    content = response.content.decode()
    assert "Por favor, responda esta pregunta." in content
    assert_no_english_chrome(content)


def test_an_impossible_answer_is_named_in_spanish(world):
    path = spanish_link(world, [InstrumentCode.PHQ9])
    response = Client().post(path, {"idempotency_key": "k-es-bad", "phq9__q1": "7"})
    assert response.status_code == 422
    assert "Escoja una opción válida" in response.content.decode()


def test_the_done_page_and_the_crisis_block_are_in_spanish(world):
    path = spanish_link(world, [InstrumentCode.PHQ9])
    body = {"idempotency_key": "k-es-done"}
    body.update({f"phq9__q{n}": "1" for n in range(1, 10)})
    content = Client().post(path, body).content.decode()
    assert "Gracias, Pia" in content
    assert "Recibimos sus respuestas. Su equipo de atención las verá." in content
    assert 'id="crisis-now"' in content
    assert "No tiene por qué pasar por esto en soledad" in content
    assert_no_english_chrome(content)


@pytest.mark.parametrize(
    ("problem", "status", "heading"),
    [("expired", 410, "Este enlace venció"), ("used", 410, "Este enlace ya se usó")],
)
def test_link_problems_are_explained_in_the_patients_language(world, problem, status, heading):
    path = spanish_link(world, [InstrumentCode.PHQ9])
    client = Client()
    if problem == "used":
        body = {"idempotency_key": "k-es-used"}
        body.update({f"phq9__q{n}": "0" for n in range(1, 10)})
        client.post(path, body)
        response = client.get(path)
    else:
        with time_machine.travel(timezone.now() + timedelta(days=30)):
            response = client.get(path)
    assert response.status_code == status
    content = response.content.decode()
    assert heading in content
    assert "Línea 988 de Prevención del Suicidio y Crisis" in content
    assert_no_english_chrome(content)


def test_an_unknown_link_follows_the_browsers_language(world):
    spanish = Client(headers={"accept-language": "es-MX,es;q=0.9"}).get("/c/nonsense/")
    assert spanish.status_code == 404
    assert "Este enlace no es válido" in spanish.content.decode()
    french = Client(headers={"accept-language": "fr-FR,fr;q=0.9"}).get("/c/nonsense/")
    assert "This link is not valid" in french.content.decode()


def test_the_sign_in_page_follows_the_browser_and_has_a_language_switch(world):
    page = Client(headers={"accept-language": "es"}).get("/me/sign-in/")
    content = page.content.decode()
    assert page["Content-Language"] == "es"
    assert "Inicie sesión para ver sus resultados" in content
    assert "Su correo electrónico" in content
    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in content
    assert 'lang="es" hreflang="es" aria-current="true">Español</a>' in content
    assert "Línea 988 de Prevención del Suicidio y Crisis" in content
    assert_no_english_chrome(content)
    english = Client(headers={"accept-language": "es"}).get("/me/sign-in/?lang=en")
    assert "Sign in to see your results" in english.content.decode()
    chosen = Client().get("/me/sign-in/?lang=es")
    assert "Inicie sesión para ver sus resultados" in chosen.content.decode()


def test_the_sent_and_throttled_answers_are_in_the_chosen_language(world, mailoutbox):
    client = Client()
    response = client.post("/me/sign-in/", {"email": "nobody@example.org", "lang": "es"})
    sent = client.get(response["Location"]).content.decode()
    assert "Si esa dirección está registrada, le enviamos un enlace" in sent
    assert_no_english_chrome(sent)
    for _ in range(4):
        client.post("/me/sign-in/", {"email": "nobody@example.org", "lang": "es"})
    throttled = client.post("/me/sign-in/", {"email": "nobody@example.org", "lang": "es"})
    assert throttled.status_code == 429
    assert "Demasiadas solicitudes para esta dirección" in throttled.content.decode()
    invalid = client.post("/me/sign-in/", {"email": "no", "lang": "es"})
    assert "Introduzca una dirección de correo electrónico válida." in invalid.content.decode()


def test_the_sign_in_email_is_in_the_patients_language(world, mailoutbox):
    request_link(Client(), PIA_EMAIL, lang="en")
    message = mailoutbox[0]
    assert message.subject == "Su enlace para iniciar sesión"
    assert message.body.startswith("Aquí tiene su enlace para iniciar sesión.")
    assert "durante los próximos 15 minutos" in message.body
    assert "sign-in link" not in message.body


def test_the_sign_in_link_pages_are_in_the_patients_language(world, mailoutbox):
    path = request_link(Client(), PIA_EMAIL, lang="en")
    confirm = Client().get(path).content.decode()
    assert "Pulse el botón para iniciar sesión" in confirm
    assert_no_english_chrome(confirm)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        expired = Client().post(path).content.decode()
    assert "Este enlace para iniciar sesión venció" in expired
    assert_no_english_chrome(expired)


def test_the_home_page_is_in_spanish(world, mailoutbox):
    now = timezone.now()
    make_phq9(world.pia, 7, submitted_at=now - timedelta(days=2))
    Appointment.objects.create(
        organization_id=world.pia.organization_id,
        patient=world.pia,
        kind=SessionKind.BOOSTER,
        starts_at=now + timedelta(days=3),
    )
    MaintenancePlan.objects.create(
        organization_id=world.pia.organization_id,
        patient=world.pia,
        policy=PolicyChoice.FIXED,
        fixed_interval_days=42,
    )
    content = signed_in_client(PIA_EMAIL).get("/me/").content.decode()
    assert "Hola, Pia" in content
    assert "síntomas leves." in content
    assert re.search(r"Su último cuestionario, del \d+ de [a-z]+: síntomas leves\.", content)
    assert re.search(
        r"<strong>(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d+ de [a-z]+, "
        r"\d\d:\d\d</strong> — Sesión de refuerzo",
        content,
    )
    assert "Tiene una sesión de refuerzo cada 6 semanas." in content
    assert "Cerrar sesión" in content
    assert_no_english_chrome(content)
    spec = json.loads(re.search(r'"phq9-spec" type="application/json">(.*?)</script>', content)[1])
    assert spec["config"]["locale"]["time"]["shortMonths"][0] == "ene"
    assert spec["encoding"]["y"]["title"] == "Puntuación (de 0 a 27; cuanto más baja, mejor)"


def test_the_spanish_chart_draws_with_spanish_month_names(world):
    vl_convert = pytest.importorskip("vl_convert")
    from zoneinfo import ZoneInfo

    from django.utils import translation

    from lasting.checkins.models import Response
    from lasting.portal.charts import phq9_spec

    make_phq9(world.pia, 9, submitted_at=timezone.now() - timedelta(days=40))
    make_phq9(world.pia, 5, submitted_at=timezone.now() - timedelta(days=2))
    responses = list(Response.objects.filter(patient=world.pia))
    with translation.override("es"):
        svg = vl_convert.vegalite_to_svg(phq9_spec(responses, ZoneInfo("America/New_York")))
    months = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
    labels = re.findall(r">(\d{1,2}) ([a-z]{3})</text>", svg)
    assert labels
    assert all(month in months for _, month in labels)
    assert "Puntuación" in svg


def test_the_organisations_own_crisis_text_is_shown_as_entered(world):
    make_crisis_resource(
        world.clinic_a,
        name="Línea de la clínica",
        instructions="Call us at 555-0100, day or night.",
        phone="555-0100",
    )
    content = Client().get(spanish_link(world, [InstrumentCode.PHQ9])).content.decode()
    assert "<strong>Línea de la clínica</strong>: Call us at 555-0100, day or night." in content
    assert "Llamar al 555-0100" in content
    # (Phrases, not the bare number: the form's random key may contain any digits.)
    assert "Línea 988" not in content
    assert 'href="tel:988"' not in content


def test_the_staff_page_follows_the_browsers_language(world):

    client = Client(headers={"accept-language": "es"})
    assert sign_in(client, "dr_ana")
    content = client.get("/me/").content.decode()
    assert "Esta página es para pacientes" in content
    assert_no_english_chrome(content)


def test_the_done_page_names_the_next_checkin_day_in_spanish(world):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from lasting.checkins.models import ScheduledCheckIn

    zone = ZoneInfo(world.pia.time_zone)
    local_today = timezone.now().astimezone(zone).date()
    opens_on = local_today + timedelta(days=5)
    opens_at = datetime.combine(opens_on, datetime.min.time(), tzinfo=zone).replace(hour=8)
    ScheduledCheckIn.objects.create(
        organization_id=world.pia.organization_id,
        patient=world.pia,
        key=f"maintenance:{opens_on}",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=opens_on,
        opens_at=opens_at,
        expires_at=opens_at + timedelta(days=3),
    )
    path = spanish_link(world, [InstrumentCode.PHQ9])
    body = {"idempotency_key": "k-es-next"}
    body.update({f"phq9__q{n}": "0" for n in range(1, 10)})
    content = Client().post(path, body).content.decode()
    months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    day = f"{opens_on.day} de {months[opens_on.month - 1]}"
    assert "Su próximo cuestionario de seguimiento se abre el" in content
    assert day in content
