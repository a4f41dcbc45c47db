"""Typed `make_*` builders with inert defaults: no alerts, no links unless a test asks;
and `rows_shared_by_the_scope` for data built once for a module or class of tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoDbBlocker

from lasting.accounts.mfa import next_app_code
from lasting.accounts.models import (
    CrisisResource,
    Location,
    Membership,
    Organization,
    Role,
    User,
)
from lasting.audit.services import Actor
from lasting.checkins.models import CheckIn, Source
from lasting.intake.services import submit_checkin
from lasting.patients.models import Course, Patient, Phase
from lasting.treatment.models import Route, SessionKind, TreatmentSession, VitalPhase, VitalSign
from lasting.treatment.services import open_monitoring_form
from lasting_core.instruments import InstrumentCode, score

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system("tests")


def make_organization(**overrides: Any) -> Organization:
    n = next(_numbers)
    fields: dict[str, Any] = {"name": f"Clinic {n}", "slug": f"clinic-{n}"}
    fields.update(overrides)
    return Organization.objects.create(**fields)


def make_crisis_resource(organization: Organization, **overrides: Any) -> CrisisResource:
    """An organisation's own crisis line (English unless `language` says otherwise)."""
    fields: dict[str, Any] = {
        "language": "en",
        "name": "Clinic crisis line",
        "phone": "555-0100",
        "instructions": "Call 555-0100, any time.",
    }
    fields.update(overrides)
    return CrisisResource.objects.create(organization=organization, **fields)


def make_location(organization: Organization, **overrides: Any) -> Location:
    fields: dict[str, Any] = {"name": f"Office {next(_numbers)}"}
    fields.update(overrides)
    return Location.objects.create(organization=organization, **fields)


def make_member(
    organization: Organization,
    role: Role = Role.CLINICIAN,
    username: str | None = None,
    **overrides: Any,
) -> Membership:
    username = username or f"user{next(_numbers)}"
    user = User(
        username=username,
        email=f"{username}@example.org",
        first_name=overrides.pop("first_name", username.title()),
        last_name=overrides.pop("last_name", "Tester"),
    )
    user.set_password(PASSWORD)
    user.save()
    if overrides.pop("authenticator_app", True):
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return Membership.objects.create(user=user, organization=organization, role=role, **overrides)


def app_code(user: User) -> str:
    """The six digits `user`'s authenticator app would show now, or for the next step
    when this one's code was used already (the device accepts one step ahead)."""
    return next_app_code(TOTPDevice.objects.get(user=user, confirmed=True))


def sign_in(client: Client, username: str, password: str = PASSWORD) -> bool:
    """Both steps of a workforce sign-in for a test client, as `Client.login` is the first:
    the password, then the session marked as having passed the second step with the
    member's authenticator app (set up here if they have none). The real second step is
    tested in tests/web/test_second_step.py and in the browser."""
    if not client.login(username=username, password=password):
        return False
    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return True


def make_patient(organization: Organization, **overrides: Any) -> Patient:
    n = next(_numbers)
    fields: dict[str, Any] = {
        "record_number": f"R-{n}",
        "given_name": "Paul",
        "family_name": f"Patient{n}",
        "date_of_birth": date(1980, 5, 17),
        "diagnoses": ["trd_mdd"],
    }
    fields.update(overrides)
    patient = Patient.objects.create(organization=organization, **fields)
    Course.objects.create(
        organization=organization,
        patient=patient,
        number=1,
        phase=Phase.EVALUATION,
        started_on=date(2026, 1, 5),
    )
    return patient


# Vital signs of a calm session: (phase, minutes from the dose), one set per phase.
IV_READINGS = ((VitalPhase.BEFORE, -5), (VitalPhase.DURING, 20), (VitalPhase.AFTER, 45))
ESKETAMINE_READINGS = (
    (VitalPhase.BEFORE, -10),
    (VitalPhase.AFTER, 40),
    (VitalPhase.DISCHARGE, 115),
)
ESKETAMINE_DEFAULTS: dict[str, Any] = {
    "dose_mg": Decimal("84"),
    "dose_mg_per_kg": None,
    "lot_number": "EK2291",
    "ready_to_leave_minutes": 95,
    "vitals_acceptable_before_dose": True,
    "vitals_acceptable_before_leaving": True,
    "effects_resolved_at_end": True,
    "takes_benzodiazepines": False,
    "takes_non_benzodiazepine_sedative_hypnotics": False,
    "takes_psychostimulants": False,
    "takes_maois": False,
    "rems_patient_enrolled": True,
    "rems_first_treatment": False,
}


def reading_rows(
    started_at: datetime, route: str = Route.IV, **values: int
) -> list[dict[str, Any]]:
    """Calm vital signs for a session given at `started_at`, one row per required phase."""
    readings = ESKETAMINE_READINGS if route == Route.INTRANASAL_ESKETAMINE else IV_READINGS
    row = {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 76, "spo2_percent": 98}
    row.update(values)
    return [
        {"phase": phase, "measured_at": started_at + timedelta(minutes=minutes), **row}
        for phase, minutes in readings
    ]


def session_fields(started_at: datetime, **overrides: Any) -> dict[str, Any]:
    """The fields of a complete IV session for `log_session` (esketamine with `route=`)."""
    esketamine = overrides.get("route") == Route.INTRANASAL_ESKETAMINE
    fields: dict[str, Any] = {
        "kind": SessionKind.INDUCTION,
        "route": Route.IV,
        "dose_mg": Decimal("40.0"),
        "dose_mg_per_kg": Decimal("0.50"),
        "started_at": started_at,
        "ended_at": started_at + timedelta(minutes=125 if esketamine else 90),
        "sedation": 4,
        "dissociation": 1,
    }
    if esketamine:
        fields.update(ESKETAMINE_DEFAULTS)
    fields.update(overrides)
    return fields


def make_session(patient: Patient, **overrides: Any) -> TreatmentSession:
    """A session that meets every session-safety rule: IV by default, with its vital signs.

    `route=Route.INTRANASAL_ESKETAMINE` gives a complete REMS record (2 h 5 min of
    monitoring, three blood pressures) and opens its monitoring form. `vitals=[...]` (rows
    of VitalSign fields) replaces the default readings; `vitals=()` stores none.
    """
    started_at = overrides.pop("started_at", timezone.now() - timedelta(days=3))
    vitals = overrides.pop("vitals", None)
    fields = session_fields(started_at, **overrides)
    session = TreatmentSession.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        course=patient.courses.order_by("-number").first(),
        **fields,
    )
    if vitals is None:
        vitals = reading_rows(started_at, fields["route"])
    for row in vitals:
        VitalSign.objects.create(organization_id=patient.organization_id, session=session, **row)
    if session.is_esketamine:
        open_monitoring_form(session)
    return session


def phq9_answers(total: int, item9: int = 0) -> dict[str, int | None]:
    """PHQ-9 answers with item 9 as given and the rest spread to reach `total`."""
    remaining = total - item9
    answers: dict[str, int | None] = {}
    for index in range(1, 9):
        value = min(3, remaining)
        answers[f"q{index}"] = value
        remaining -= value
    if remaining:
        raise ValueError("total too high for the given item 9")
    answers["q9"] = item9
    return answers


def make_phq9(
    patient: Patient, total: int, *, item9: int = 0, submitted_at: datetime | None = None
) -> CheckIn:
    recorded = submit_checkin(
        SYSTEM,
        patient,
        [score(InstrumentCode.PHQ9, phq9_answers(total, item9))],
        source=Source.CLINIC,
        submitted_at=submitted_at or timezone.now(),
    )
    return recorded.checkin


@contextmanager
def rows_shared_by_the_scope(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Keep the rows written inside open for every test of a module or class, then undo them.

    For data the tests only read, built once instead of once a test. The rows live in a
    transaction that stays open for the whole scope; each test's own transaction nests in
    it as a savepoint, so whatever a test writes is rolled back after it, and the shared
    rows are rolled back after the last test. Not for tests that need `transaction=True`
    (they would flush the shared rows): keep those in another module.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
