"""Who may do what: every access decision in Lasting goes through these functions.

Clinical data is visible to the clinical team of the patient's organisation (clinicians
and nurses). Schedulers (front desk) see patients' names, contact details and
appointments, never doses, vital signs, scales or scores. Clinic admins run the clinic
(locations, users, policies, aggregate reports) and do not read individual charts unless
they also hold a clinical role. Nobody sees anything from another organisation.

Each check is a TypeGuard: once it passes, the membership is known not to be None.
"""

from __future__ import annotations

from typing import TypeGuard

from lasting.accounts.models import Membership, Role

CLINICAL_ROLES = frozenset({Role.CLINICIAN, Role.STAFF})
PATIENT_FACING_ROLES = CLINICAL_ROLES | {Role.SCHEDULER}


def can_view_patients(membership: Membership | None) -> TypeGuard[Membership]:
    """See the patient list, names, contact details and appointments."""
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role in PATIENT_FACING_ROLES
    )


def can_view_clinical_record(membership: Membership | None) -> TypeGuard[Membership]:
    """See doses, vital signs, sedation and dissociation scales, scores and check-ins."""
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role in CLINICAL_ROLES  # never schedulers or admins
    )


def can_edit_patients(membership: Membership | None) -> TypeGuard[Membership]:
    """Register a patient: the form holds diagnoses and medication, so clinical roles only."""
    return can_view_clinical_record(membership)


def can_edit_contact_details(membership: Membership | None) -> TypeGuard[Membership]:
    """Change how and when a patient is contacted (reminder preferences)."""
    return can_view_patients(membership)


def can_manage_courses(membership: Membership | None) -> TypeGuard[Membership]:
    """Discharge a patient or start a new course: a prescriber's decision, clinicians only."""
    return can_review_alerts(membership)


def can_schedule(membership: Membership | None) -> TypeGuard[Membership]:
    """Book, move and cancel appointments and see the day's schedule: the front desk and
    the clinical team (not admins, who have no patient list)."""
    return can_view_patients(membership)


def can_log_sessions(membership: Membership | None) -> TypeGuard[Membership]:
    """Record a dose with its vital signs and scales: nurses and clinicians."""
    return can_view_clinical_record(membership)


def can_file_monitoring_forms(membership: Membership | None) -> TypeGuard[Membership]:
    """See the REMS patient-monitoring forms due and record their submission."""
    return can_log_sessions(membership)


def can_view_costs(membership: Membership | None) -> TypeGuard[Membership]:
    """See what a patient's sessions cost so far (priced from the list): the clinical team,
    who see the sessions. Not schedulers (session kinds and routes are clinical), not
    admins (they set the prices, they read no chart)."""
    return can_view_clinical_record(membership)


def can_view_cost_forecast(membership: Membership | None) -> TypeGuard[Membership]:
    """See the 12-month cost forecast per policy: it rests on the engine's personal
    durability and compares maintenance policies, a clinician's judgement like the risk
    (nurses, schedulers and admins never see it; docs/clinical.md#costs)."""
    return can_review_alerts(membership)


def can_issue_checkin_links(membership: Membership | None) -> TypeGuard[Membership]:
    return can_view_clinical_record(membership)


def can_view_outcomes(membership: Membership | None) -> TypeGuard[Membership]:
    """The clinic's outcome report, aggregate only: clinicians, and admins, who read
    outcome reports but no charts; never nurses or the front desk."""
    return (
        membership is not None
        and membership.is_active
        and membership.role in (Role.CLINICIAN, Role.ADMIN)
    )


def can_review_alerts(membership: Membership | None) -> TypeGuard[Membership]:
    """Only clinicians review the engine's alerts (early warning, relapse, disengagement):
    it is a clinical judgement."""
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role == Role.CLINICIAN  # not nurses, schedulers or admins
    )


def can_handle_safety_alerts(membership: Membership | None) -> TypeGuard[Membership]:
    """Clinicians and nurses take safety alerts: see them, acknowledge, call the patient and
    record the contact outcome: taking alerts is nursing work too (docs/clinical.md#roles).

    Nurses hold the stored role "staff". Schedulers (front desk) never see an item-9
    answer, so they are not here.
    """
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role in CLINICAL_ROLES  # never schedulers or admins
    )


def can_manage_organization(membership: Membership | None) -> TypeGuard[Membership]:
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role == Role.ADMIN
    )


def can_decide_boosters(membership: Membership | None) -> TypeGuard[Membership]:
    """Accepting, moving or declining a booster is a clinical decision."""
    return can_review_alerts(membership)


def can_enter_checkins(membership: Membership | None) -> TypeGuard[Membership]:
    """Entering a questionnaire the patient filled in at the clinic is clinical work:
    clinicians and nurses, named here so that no other role gains it by default."""
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role in CLINICAL_ROLES  # never schedulers or admins
    )


def can_handle_evaluation_requests(membership: Membership | None) -> TypeGuard[Membership]:
    """See the evaluation-request inbox, mark requests contacted or declined: the front
    desk and the clinical team. Schedulers see who asked and how to reach them, never the
    answers (`can_read_request_answers`); admins set the clinic up and see none."""
    return can_view_patients(membership)


def can_read_request_answers(membership: Membership | None) -> TypeGuard[Membership]:
    """Read a request's reason, diagnoses, treatment, PHQ-9, GAD-7, item 9 and screening
    answers: clinical roles only."""
    return can_view_clinical_record(membership)


def can_book_evaluations(membership: Membership | None) -> TypeGuard[Membership]:
    """Book an evaluation: registers a patient with diagnoses and a first check-in, so
    clinicians and nurses only (as `can_edit_patients` and `can_enter_checkins`)."""
    return can_edit_patients(membership) and can_enter_checkins(membership)


def can_export_patient_record(membership: Membership | None) -> TypeGuard[Membership]:
    """Export a patient's whole record for their right of access (HIPAA §164.524, GDPR
    art. 15; docs/reports.md#right-of-access): clinicians, and admins, who answer access
    requests for the clinic though they read no chart day to day (every export is
    audited). Not nurses: the record holds the engine's risk, its alerts and the booster
    decisions, which nurses never see. Not schedulers: it holds doses and scores."""
    return (
        membership is not None
        and membership.is_active  # a deactivated membership grants nothing
        and membership.role in (Role.CLINICIAN, Role.ADMIN)
    )
