"""Every POST once per Idempotency-Key: same key and body → the stored answer and one row;
another body → 422; still in flight → 409; kept 7 days."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lasting.api.idempotency import purge_idempotency_keys
from lasting.api.models import IdempotencyKey
from lasting.checkins.models import CheckIn

pytestmark = pytest.mark.django_db

PHQ9 = {"phq9": {f"q{n}": 1 for n in range(1, 10)}}


def post_checkin(client, patient, answers=PHQ9, key="key-1", **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/patients/{patient.pk}/checkins",
        {"answers": answers},
        content_type="application/json",
        headers=headers,
    )


def test_a_post_without_a_key_is_400_and_stores_nothing(clients, personas):
    response = post_checkin(clients["dr_ana"], personas.paul, key=None)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"loc": ["header", "Idempotency-Key"]}]
    assert not CheckIn.objects.exists()


def test_same_key_and_body_replays_the_answer_and_stores_one_row(clients, personas):
    first = post_checkin(clients["dr_ana"], personas.paul)
    again = post_checkin(clients["dr_ana"], personas.paul)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert CheckIn.objects.count() == 1


def test_same_key_with_another_body_is_422(clients, personas):
    post_checkin(clients["dr_ana"], personas.paul)
    other = {"phq9": {f"q{n}": 2 for n in range(1, 10)}}
    response = post_checkin(clients["dr_ana"], personas.paul, answers=other)
    assert response.status_code == 422
    assert CheckIn.objects.count() == 1


def test_same_key_still_in_flight_is_409(clients, personas):
    post_checkin(clients["dr_ana"], personas.paul)
    IdempotencyKey.objects.update(status_code=None, response=None)  # as if still running
    assert post_checkin(clients["dr_ana"], personas.paul).status_code == 409
    assert CheckIn.objects.count() == 1


def test_keys_belong_to_one_membership(clients, personas):
    post_checkin(clients["dr_ana"], personas.paul)
    assert post_checkin(clients["rn_cara"], personas.paul).status_code == 201
    assert CheckIn.objects.count() == 2


def test_a_refused_request_frees_its_key(clients, personas):
    assert post_checkin(clients["sam_front"], personas.paul).status_code == 403
    assert not IdempotencyKey.objects.exists()


def test_keys_are_forgotten_after_7_days(clients, personas):
    post_checkin(clients["dr_ana"], personas.paul)
    assert purge_idempotency_keys(timezone.now() + timedelta(days=6)) == 0
    assert purge_idempotency_keys(timezone.now() + timedelta(days=7, minutes=1)) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database locks whole tables; the in-flight test above "
    "covers SQLite",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_store_one_row(personas):
    """Eight threads send the same key at once: one check-in; the others get the stored
    answer (201) or, while the first runs, 409."""
    from tests.api.support import api_client, token_for

    secret = token_for(personas, "dr_ana")
    statuses: list[int] = []
    start = threading.Barrier(8)

    def send() -> None:
        try:
            start.wait()
            statuses.append(post_checkin(api_client(secret), personas.paul).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CheckIn.objects.count() == 1
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
