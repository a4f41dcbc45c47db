"""The sign-in e-mail goes out from a background job: the request does the same work for
a registered address and an unknown one, so its timing does not tell who is a patient;
the job sends once, however often it runs; the queue holds no token."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from lasting.portal.models import SignInRequest
from lasting.portal.services import email_sign_in_link
from tests.web.portal_support import LINK, PAUL_EMAIL, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    return make_world(personas)


def statements(email: str) -> list[str]:
    """The SQL a sign-in request runs, with the values (NULL too) taken out."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().post("/me/sign-in/", {"email": email})
    assert response.status_code == 302
    values = r"'[^']*'|\"s\d+_x\d+\"|\bNULL\b|\b\d+(\.\d+)?\b"
    return [re.sub(values, "?", query["sql"]) for query in queries]


def test_a_registered_and_an_unknown_address_cost_the_same_queries(world):
    registered = statements(PAUL_EMAIL)
    unknown = statements("nobody@example.org")
    assert registered == unknown
    assert mail.outbox == []  # nothing is sent within the request


def test_the_job_sends_the_link_once(world):
    Client().post("/me/sign-in/", {"email": PAUL_EMAIL})
    row = SignInRequest.objects.get()
    assert email_sign_in_link(row.pk) is True
    assert email_sign_in_link(row.pk) is False  # a second delivery of the job
    assert len(mail.outbox) == 1
    path = LINK.search(mail.outbox[0].body)
    assert path is not None
    response = Client().post(path.group(1))
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_an_unknown_address_gets_no_email_from_the_job(world):
    Client().post("/me/sign-in/", {"email": "nobody@example.org"})
    row = SignInRequest.objects.get()
    assert email_sign_in_link(row.pk) is False
    assert mail.outbox == []


def test_the_queue_holds_the_request_id_not_the_token(world):
    Client().post("/me/sign-in/", {"email": PAUL_EMAIL})
    row = SignInRequest.objects.get()
    task = DBTaskResult.objects.get(task_path="lasting.portal.tasks.send_sign_in_email_task")
    assert task.args_kwargs == {"args": [row.pk], "kwargs": {}}


def test_a_link_the_queue_delivered_too_late_is_not_sent(world):
    Client().post("/me/sign-in/", {"email": PAUL_EMAIL})
    row = SignInRequest.objects.get()
    SignInRequest.objects.filter(pk=row.pk).update(expires_at=row.requested_at)
    assert email_sign_in_link(row.pk) is False
    assert mail.outbox == []
