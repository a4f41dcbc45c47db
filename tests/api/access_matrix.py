"""Expected outcome of every API operation for every caller (tests/api/matrix_support.py).

Columns: anonymous, paul (portal session cookie), admin_dora, dr_ana, rn_cara,
sam_front (tokens of Clinic A), dr_olga (token of Clinic B). `ok` is 200; every other
outcome is a status code. Admins read no charts; schedulers see patients and
appointments only; nurses never see booster proposals (they carry the engine's forecast)
nor engine alerts; another organisation's objects answer 404, its lists are its own.
"""

EXPECTED: dict[str, str] = {
    # patients
    "GET /patients": "401 401 403 ok ok ok ok",
    "GET /patients/{patient_id}": "401 401 403 ok ok ok 404",
    "GET /patients/{patient_id}/courses": "401 401 403 ok ok 403 404",
    "GET /patients/{patient_id}/prevention-plan": "401 401 403 ok ok 403 404",
    "GET /patients/{patient_id}/maintenance-plan": "401 401 403 ok 403 403 404",
    # clinical record
    "GET /patients/{patient_id}/checkins": "401 401 403 ok ok 403 404",
    "POST /patients/{patient_id}/checkins": "401 401 403 201 201 403 404",
    "GET /checkins/{checkin_id}": "401 401 403 ok ok 403 404",
    "GET /patients/{patient_id}/sessions": "401 401 403 ok ok 403 404",
    "POST /patients/{patient_id}/sessions": "401 401 403 201 201 403 404",
    "GET /sessions/{session_id}": "401 401 403 ok ok 403 404",
    # alerts and proposals
    "GET /alerts": "401 401 403 ok ok 403 ok",
    "GET /alerts/{alert_id}": "401 401 403 ok ok 403 404",
    "POST /alerts/{alert_id}/acknowledge": "401 401 403 ok ok 403 404",
    "POST /alerts/{alert_id}/contact-attempts": "401 401 403 201 201 403 404",
    "GET /proposals": "401 401 403 ok 403 403 ok",
    "GET /proposals/{proposal_id}": "401 401 403 ok 403 403 404",
    "POST /proposals/{proposal_id}/accept": "401 401 403 201 403 403 404",
    "POST /proposals/{proposal_id}/move": "401 401 403 201 403 403 404",
    "POST /proposals/{proposal_id}/decline": "401 401 403 ok 403 403 404",
    # appointments
    "GET /appointments": "401 401 403 ok ok ok ok",
    "GET /appointments/{appointment_id}": "401 401 403 ok ok ok 404",
    "POST /appointments": "401 401 403 201 201 201 404",
}
