"""Background jobs of the patient portal; each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.portal.services import email_sign_in_link


@task()
def send_sign_in_email_task(request_id: int) -> bool:
    """E-mail a sign-in link (once); nothing for a request from an unregistered address."""
    return email_sign_in_link(request_id)
