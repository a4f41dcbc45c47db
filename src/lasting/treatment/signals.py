"""Signals other apps listen to, so treatment never imports the layers above it."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a session is stored (and committed); receivers get `patient` and `session`.
session_logged = Signal()
# Sent after a clinician records a hospitalisation or suicide-related event.
clinical_event_recorded = Signal()
