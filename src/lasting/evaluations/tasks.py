"""Background jobs of evaluation requests; each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.evaluations.services import send_request_emails


@task()
def send_request_emails_task(request_id: int) -> int:
    """E-mail the requester's confirmation and the staff's notice, each once."""
    return send_request_emails(request_id)
