from __future__ import annotations

from django.http import HttpRequest

from lasting.accounts import rules


def membership(request: HttpRequest) -> dict[str, object]:
    current = getattr(request, "membership", None)
    return {
        "membership": current,
        "can_view_patients": rules.can_view_patients(current),
        "can_view_clinical_record": rules.can_view_clinical_record(current),
        "can_file_monitoring_forms": rules.can_file_monitoring_forms(current),
        "can_review_alerts": rules.can_review_alerts(current),
        "can_view_outcomes": rules.can_view_outcomes(current),
        "can_handle_safety_alerts": rules.can_handle_safety_alerts(current),
        "can_edit_contact_details": rules.can_edit_contact_details(current),
        "can_manage_courses": rules.can_manage_courses(current),
        "can_log_sessions": rules.can_log_sessions(current),
        "can_schedule": rules.can_schedule(current),
    }
