"""Re-assess a patient when something that changes their risk is recorded."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from lasting.patients.models import Patient
from lasting.plans.services import refresh_patient
from lasting.treatment.signals import clinical_event_recorded, session_logged

log = logging.getLogger("lasting.plans")


@receiver(clinical_event_recorded)
@receiver(session_logged)
def reassess_after_session(sender: object, patient: Patient, **kwargs: Any) -> None:
    try:
        refresh_patient(patient)
    except Exception:  # the session is stored; the next sweep re-assesses
        log.exception("patient %s: re-assessment after a session failed", patient.pk)
