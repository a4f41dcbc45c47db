"""The expected outcome of every route for every caller, GET and an empty POST.

Read by tests/web/test_access_matrix_get.py and test_access_matrix_post.py; the callers
and their rights are in tests/web/access_matrix_support.py and tests/personas.py.

Words: ok (200), moved (a redirect that is not a sign-in), sign_in (to the staff sign-in),
portal_sign_in (to the patient sign-in), or the status code: 403 refused, 404 not found
(another organisation's object, or a token that opens nothing), 405 wrong method, 422 the
empty form was refused with its errors.

Choices worth knowing when reading the table:
- a foreign clinician deciding on a proposal gets 403, the same answer as for an id that
  does not exist, so neither tells whether the proposal exists;
- the scheduler reaches the patient page and the check-in schedule (names, contact
  details, appointments) but no session, form or score page.
"""

EXPECTED = {
    # route: (GET, POST), columns: anonymous paul admin_dora dr_ana rn_cara sam_front dr_olga
    "home": (
        "moved moved moved moved moved moved moved",
        "moved moved moved moved moved moved moved",
    ),
    "healthz": (
        "ok ok ok ok ok ok ok",
        "405 405 405 405 405 405 405",
    ),
    "readyz": (
        "ok ok ok ok ok ok ok",
        "405 405 405 405 405 405 405",
    ),
    "accounts:login": (
        "ok ok moved moved moved moved moved",
        "ok ok moved moved moved moved moved",
    ),
    "accounts:logout": (
        "405 405 405 405 405 405 405",
        "sign_in sign_in sign_in sign_in sign_in sign_in sign_in",
    ),
    # A member signed in with both steps is sent on from the second step's pages.
    "accounts:second_step": (
        "sign_in sign_in moved moved moved moved moved",
        "sign_in sign_in moved moved moved moved moved",
    ),
    "accounts:enrol_second_step": (
        "sign_in sign_in moved moved moved moved moved",
        "sign_in sign_in moved moved moved moved moved",
    ),
    "accounts:new_recovery_codes": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in ok ok ok ok ok",
    ),
    "accounts:password_change": (
        "sign_in sign_in ok ok ok ok ok",
        "sign_in sign_in ok ok ok ok ok",
    ),
    "accounts:password_reset": (
        "ok ok ok ok ok ok ok",
        "ok ok ok ok ok ok ok",
    ),
    "accounts:password_reset_sent": (
        "ok ok ok ok ok ok ok",
        "405 405 405 405 405 405 405",
    ),
    "accounts:password_reset_confirm": (
        "ok ok ok ok ok ok ok",
        "ok ok ok ok ok ok ok",
    ),
    "accounts:api_tokens": (
        "sign_in sign_in ok ok ok ok ok",
        "sign_in sign_in 422 422 422 422 422",
    ),
    "accounts:revoke_api_token": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 moved 403 403 403",
    ),
    "accounts:audit_trail": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 405 405 405 405 405",
    ),
    "accounts:audit_trail_csv": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 405 405 405 405 405",
    ),
    "accounts:organization": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:crisis_resource": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:new_location": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:edit_location": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:invite": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:edit_member": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "accounts:reset_member_second_step": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in moved 403 403 403 403",
    ),
    "accounts:revoke_invitation": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in moved 403 403 403 403",
    ),
    "accounts:accept_invitation": (
        "404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404",
    ),
    "clinic:caseload": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 ok ok ok ok",
    ),
    "clinic:patient": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 ok ok ok 404",
    ),
    "clinic:review": (
        "sign_in sign_in 403 ok 403 403 ok",
        "sign_in sign_in 403 ok 403 403 ok",
    ),
    "clinic:quiet": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 ok ok ok ok",
    ),
    "patients:new": (
        "sign_in sign_in 403 ok ok 403 ok",
        "sign_in sign_in 403 ok ok 403 ok",
    ),
    "patients:search": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 ok ok ok ok",
    ),
    "patients:edit": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 ok ok ok 404",
    ),
    "patients:discharge": (
        "sign_in sign_in 403 ok 403 403 404",
        "sign_in sign_in 403 ok 403 403 404",
    ),
    "patients:new_course": (
        "sign_in sign_in 403 ok 403 403 404",
        "sign_in sign_in 403 ok 403 403 404",
    ),
    "treatment:monitoring_forms": (
        "sign_in sign_in 403 ok ok 403 ok",
        "sign_in sign_in 403 ok ok 403 ok",
    ),
    "treatment:monitoring_form": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "treatment:life_context_export": (
        "sign_in sign_in 403 ok ok 403 ok",
        "sign_in sign_in 403 ok ok 403 ok",
    ),
    "intake:new_session": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "intake:new_event": (
        "sign_in sign_in 403 ok 403 403 404",
        "sign_in sign_in 403 422 403 403 404",
    ),
    "intake:enter_phq9": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "intake:new_life_event": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "intake:new_medication_change": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "intake:new_therapy_event": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "checkins:new_link": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "alerts:list": (
        "sign_in sign_in 403 ok ok 403 ok",
        "sign_in sign_in 403 ok ok 403 ok",
    ),
    "alerts:detail": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "alerts:acknowledge": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 moved moved 403 404",
    ),
    "alerts:contact": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "alerts:resolve": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 422 403 404",
    ),
    "plans:accept": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 403 403 403",
    ),
    "plans:move": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 403 403 403",
    ),
    "plans:decline": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 403 403 403",
    ),
    "plans:edit_plan": (
        "sign_in sign_in 403 ok 403 403 404",
        "sign_in sign_in 403 422 403 403 404",
    ),
    "prevention:plan": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "prevention:edit": (
        "sign_in sign_in 403 ok 403 403 404",
        "sign_in sign_in 403 422 403 403 404",
    ),
    "prevention:version": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "outreach:schedule": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 422 422 422 404",
    ),
    "outreach:log_contact": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 422 422 404",
    ),
    "outreach:checkin_defaults": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "schedule:day": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 ok ok ok ok",
    ),
    "schedule:feeds": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 404 404 404 404",
    ),
    "schedule:prices": (
        "sign_in sign_in ok 403 403 403 403",
        "sign_in sign_in 422 403 403 403 403",
    ),
    "schedule:feed": (
        "404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404",
    ),
    "schedule:new_appointment": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 ok ok ok 404",
    ),
    "schedule:move": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 ok ok ok 404",
    ),
    "schedule:cancel": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 moved moved moved 404",
    ),
    "schedule:status": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 moved moved moved 404",
    ),
    "portal:checkin": (
        "404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404",
    ),
    "portal:home": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "portal:report_life_event": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in 422 403 403 403 403 403",
    ),
    "portal:prevention_plan": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "portal:sign_in": (
        "ok moved ok ok ok ok ok",
        "422 moved 422 422 422 422 422",
    ),
    "portal:sign_in_sent": (
        "ok ok ok ok ok ok ok",
        "ok ok ok ok ok ok ok",
    ),
    "portal:sign_in_link": (
        "404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404",
    ),
    "portal:sign_out": (
        "moved moved moved moved moved moved moved",
        "portal_sign_in portal_sign_in portal_sign_in portal_sign_in"
        " portal_sign_in portal_sign_in portal_sign_in",
    ),
    "evaluations:request": (
        "ok ok ok ok ok ok ok",
        "422 422 422 422 422 422 422",
    ),
    "evaluations:what_to_expect": (
        "ok ok ok ok ok ok ok",
        "ok ok ok ok ok ok ok",
    ),
    "evaluations:inbox": (
        "sign_in sign_in 403 ok ok ok ok",
        "sign_in sign_in 403 ok ok ok ok",
    ),
    "evaluations:detail": (
        "sign_in sign_in 403 ok ok ok 404",
        "sign_in sign_in 403 ok ok ok 404",
    ),
    "evaluations:status": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 422 422 422 404",
    ),
    "evaluations:book": (
        "sign_in sign_in 405 405 405 405 405",
        "sign_in sign_in 403 moved moved 403 404",
    ),
    "reports:clinician": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "reports:clinician_pdf": (
        "sign_in sign_in 403 ok ok 403 404",
        "sign_in sign_in 403 ok ok 403 404",
    ),
    "reports:patient": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "reports:patient_pdf": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "reports:clinician_record": (
        "sign_in sign_in ok ok 403 403 404",
        "sign_in sign_in ok ok 403 403 404",
    ),
    "reports:clinician_record_json": (
        "sign_in sign_in ok ok 403 403 404",
        "sign_in sign_in ok ok 403 403 404",
    ),
    "reports:clinician_record_pdf": (
        "sign_in sign_in ok ok 403 403 404",
        "sign_in sign_in ok ok 403 403 404",
    ),
    "reports:patient_record": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "reports:patient_record_json": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "reports:patient_record_pdf": (
        "portal_sign_in ok 403 403 403 403 403",
        "portal_sign_in ok 403 403 403 403 403",
    ),
    "outcomes:analytics": (
        "sign_in sign_in ok ok 403 403 ok",
        "sign_in sign_in ok ok 403 403 ok",
    ),
}
