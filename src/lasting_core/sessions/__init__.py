"""Session-safety rules for ketamine and esketamine sessions (docs/clinical.md#session-safety).

One package for every rule a session must meet before it is stored, so that a change to the
esketamine label or REMS, or to a clinic's limits, is one edit in ``rules.py``. Plain values in,
two lists out (``review_session``):

- *problems*: the session is refused until they are fixed (a missing required field, an
  impossible reading, 45 minutes of esketamine monitoring, a dose in the future);
- *findings*: the session may be stored only with a confirmed reason (a pre-dose blood
  pressure above 140/90, SpO2 below 92 %, a dose outside 0.1-1.0 mg/kg).

Sources (the notes are in ``tests/reference/session_safety.md``):

- Esketamine: SPRAVATO (esketamine) nasal spray, US prescribing information (sections 2
  and 5: 28 mg devices, 56 or 84 mg; blood pressure before dosing and about 40 minutes
  after, when the rise peaks; monitoring for at least 2 hours and until the patient is
  clinically stable; the benefit/risk wording for a baseline above 140/90), and the
  SPRAVATO REMS patient-monitoring form (its fields; submitted within 7 days of each
  session; patients enrolled before treatment).
- IV and IM ketamine: Sanacora G et al., A consensus statement on the use of ketamine in
  the treatment of mood disorders, JAMA Psychiatry 2017;74(4):399-405 (vital signs before,
  during and after the dose; blood pressure above 140/90 and oxygen saturation to be
  weighed before dosing; the dose range studied).
- Sedation: the Modified Observer's Assessment of Alertness/Sedation scale (MOAA/S),
  Chernik DA et al., J Clin Psychopharmacol 1990;10(4):244-251, as used in the esketamine
  trials (5 = awake, 0 = no response to a painful stimulus).
"""

from lasting_core.sessions.rems import (
    RemsBloodPressures,
    is_form_overdue,
    monitoring_form_due_on,
    rems_blood_pressures,
)
from lasting_core.sessions.review import check_reading, review_session
from lasting_core.sessions.rules import (
    DISSOCIATION,
    MOAAS,
    MOAAS_AWAKE,
    PHASE_WORDS,
    REMS_YES_NO_FIELDS,
    ROUTE_WORDS,
    EsketamineRules,
    Finding,
    FindingCode,
    KetamineRules,
    Limits,
    Problem,
    Reading,
    ReadingPhase,
    Route,
    ScaleLevel,
    SessionRecord,
    SessionReview,
    SessionRules,
    VitalLimits,
    moaas_label,
)

__all__ = [
    "DISSOCIATION",
    "MOAAS",
    "MOAAS_AWAKE",
    "PHASE_WORDS",
    "REMS_YES_NO_FIELDS",
    "ROUTE_WORDS",
    "EsketamineRules",
    "Finding",
    "FindingCode",
    "KetamineRules",
    "Limits",
    "Problem",
    "Reading",
    "ReadingPhase",
    "RemsBloodPressures",
    "Route",
    "ScaleLevel",
    "SessionRecord",
    "SessionReview",
    "SessionRules",
    "VitalLimits",
    "check_reading",
    "is_form_overdue",
    "moaas_label",
    "monitoring_form_due_on",
    "rems_blood_pressures",
    "review_session",
]
