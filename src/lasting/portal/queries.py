"""What a signed-in patient may read: their own rows only, never risk, alerts or notes.

Every read takes the `Patient` the session names and filters by that patient *and* its
organisation, so no request parameter can point a read at anyone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lasting.checkins.models import CheckIn, Instrument, Response
from lasting.patients.models import Patient
from lasting.plans.models import BoosterProposal, MaintenancePlan, ProposalStatus
from lasting.treatment.models import Appointment, AppointmentStatus

CHART_PERIOD = timedelta(days=365)
UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class LastCheckIn:
    submitted_at: datetime
    phq9_band: str


@dataclass(frozen=True)
class PatientHome:
    phq9: Sequence[Response]
    last_checkin: LastCheckIn | None
    appointments: Sequence[Appointment]
    plan: MaintenancePlan | None
    booster: BoosterProposal | None


def get_home_for(patient: Patient, now: datetime) -> PatientHome:
    """The patient's check-ins for the chart, upcoming appointments, plan and booster."""
    own = {"patient": patient, "organization_id": patient.organization_id}
    phq9 = list(
        Response.objects.filter(
            **own,
            instrument=Instrument.PHQ9,
            valid=True,
            total__isnull=False,
            observed_at__gt=now - CHART_PERIOD,
            observed_at__lte=now,
        ).order_by("observed_at")
    )
    return PatientHome(
        phq9=phq9,
        last_checkin=find_last_checkin(patient, now),
        appointments=list(
            Appointment.objects.filter(**own, status=AppointmentStatus.SCHEDULED, starts_at__gt=now)
            .select_related("location")
            .order_by("starts_at")[:UPCOMING_LIMIT]
        ),
        plan=MaintenancePlan.objects.filter(**own).first(),
        booster=BoosterProposal.objects.filter(
            **own,
            status=ProposalStatus.ACCEPTED,
            appointment__status=AppointmentStatus.SCHEDULED,
            appointment__starts_at__gt=now,
        )
        .select_related("appointment")
        .order_by("appointment__starts_at")
        .first(),
    )


def find_last_checkin(patient: Patient, now: datetime) -> LastCheckIn | None:
    checkin = (
        CheckIn.objects.filter(
            patient=patient, organization_id=patient.organization_id, submitted_at__lte=now
        )
        .order_by("-submitted_at")
        .first()
    )
    if checkin is None:
        return None
    phq9 = (
        Response.objects.filter(checkin=checkin, instrument=Instrument.PHQ9, valid=True)
        .values_list("band", flat=True)
        .first()
    )
    return LastCheckIn(submitted_at=checkin.submitted_at, phq9_band=phq9 or "")
