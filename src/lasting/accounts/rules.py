"""Who may do what: every access decision in Lasting goes through these functions.

Clinical data is visible to the clinical team of the patient's organisation (clinicians
and staff). Clinic admins run the clinic (locations, users, policies, aggregate reports)
and do not read individual charts unless they also hold a clinical role. Nobody sees
anything from another organisation.

Each check is a TypeGuard: once it passes, the membership is known not to be None.
"""

from __future__ import annotations

from typing import TypeGuard

from lasting.accounts.models import Membership, Role


def can_view_patients(membership: Membership | None) -> TypeGuard[Membership]:
    return (
        membership is not None
        and membership.is_active
        and membership.role
        in {
            Role.CLINICIAN,
            Role.STAFF,
        }
    )


def can_edit_patients(membership: Membership | None) -> TypeGuard[Membership]:
    return can_view_patients(membership)


def can_log_sessions(membership: Membership | None) -> TypeGuard[Membership]:
    return can_view_patients(membership)


def can_issue_checkin_links(membership: Membership | None) -> TypeGuard[Membership]:
    return can_view_patients(membership)


def can_review_alerts(membership: Membership | None) -> TypeGuard[Membership]:
    """Only clinicians review the engine's alerts (early warning, relapse, disengagement):
    it is a clinical judgement."""
    return membership is not None and membership.is_active and membership.role == Role.CLINICIAN


def can_handle_safety_alerts(membership: Membership | None) -> TypeGuard[Membership]:
    """Clinicians and nurses take safety alerts: see them, acknowledge, call the patient and
    record the contact outcome (DESIGN section 4 lists alerts among a nurse's tasks).

    The staff role is taken as the nursing role. A front-desk role (appointments and
    contact details only, issue 9 item 3) must not be added here: it never sees an
    item-9 answer.
    """
    return (
        membership is not None
        and membership.is_active
        and membership.role
        in {
            Role.CLINICIAN,
            Role.STAFF,
        }
    )


def can_manage_organization(membership: Membership | None) -> TypeGuard[Membership]:
    return membership is not None and membership.is_active and membership.role == Role.ADMIN


def can_decide_boosters(membership: Membership | None) -> TypeGuard[Membership]:
    """Accepting, moving or declining a booster is a clinical decision."""
    return can_review_alerts(membership)


def can_enter_checkins(membership: Membership | None) -> TypeGuard[Membership]:
    """Entering a questionnaire the patient filled in at the clinic is clinical work:
    clinicians and nurses, named here so that no other role gains it by default."""
    return (
        membership is not None
        and membership.is_active
        and membership.role in {Role.CLINICIAN, Role.STAFF}
    )
