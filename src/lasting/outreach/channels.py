"""How a reminder leaves Lasting: e-mail (SMTP, or Django's mail backend) and SMS.

Every transport calls `handing_over()` at its point of no return: the last moment
after which the message may have reached the patient. Before it, a failure is safe to
retry; after it, an unclear failure (a dropped connection) is not retried, so a patient
never receives the same reminder twice (docs/clinical.md#check-ins-and-reminders). Over
SMTP that point is just before the message data is sent, after the server accepted the
sender and recipient.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage

log = logging.getLogger("lasting.outreach")


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # an e-mail address or a phone number
    subject: str  # e-mail only; never clinical: anyone may see it on a phone
    body: str


class NotDelivered(Exception):
    """The message certainly did not reach the patient.

    `permanent`: retrying cannot help (an address the server refuses). `detail` names
    the cause without patient data ("SMTP 550", "connection refused").
    """

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: OutgoingMessage, handing_over: Callable[[], None]) -> None:
        """Deliver `message`; raise NotDelivered when it certainly did not go out, any
        other exception when that is unknown (only after `handing_over()`)."""


class SmtpTransport:
    """Speaks SMTP itself, so it knows when the point of no return is reached."""

    def send(self, message: OutgoingMessage, handing_over: Callable[[], None]) -> None:
        email = EmailMessage(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to]
        )
        mime = email.message()
        sender = email.from_email
        try:
            connection = self.connect()
        except (OSError, smtplib.SMTPException) as error:
            raise NotDelivered(f"could not connect: {type(error).__name__}") from error
        try:
            try:
                if settings.EMAIL_HOST_USER:
                    connection.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
                connection.ehlo_or_helo_if_needed()
                code, _ = connection.mail(sender)
                if code != 250:
                    raise NotDelivered(f"SMTP {code} on MAIL", permanent=code >= 500)
                code, _ = connection.rcpt(message.to)
                if code not in (250, 251):
                    raise NotDelivered(f"SMTP {code} on RCPT", permanent=code >= 500)
            except (OSError, smtplib.SMTPException) as error:
                raise NotDelivered(f"SMTP: {type(error).__name__}") from error
            handing_over()
            try:
                code, _ = connection.data(mime.as_bytes(linesep="\r\n"))
            except smtplib.SMTPDataError as refused:
                # The server answered and refused the message: it was not delivered.
                raise NotDelivered(
                    f"SMTP {refused.smtp_code} on DATA", permanent=refused.smtp_code >= 500
                ) from refused
            if code != 250:
                raise NotDelivered(f"SMTP {code} on DATA", permanent=code >= 500)
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()

    def connect(self) -> smtplib.SMTP:
        host, port, timeout = settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT
        if settings.EMAIL_USE_SSL:
            return smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        connection = smtplib.SMTP(host, port, timeout=timeout)
        connection.ehlo()
        if connection.has_extn("starttls"):
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        elif settings.EMAIL_USE_TLS:
            # smtp:// promises TLS: never fall back to clear text (a stripped STARTTLS).
            connection.close()
            raise NotDelivered("the mail server offers no TLS", permanent=True)
        return connection


class DjangoMailTransport:
    """Django's configured mail backend (the console locally, the outbox in tests)."""

    def send(self, message: OutgoingMessage, handing_over: Callable[[], None]) -> None:
        email = EmailMessage(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to]
        )
        handing_over()
        if email.send() != 1:
            raise NotDelivered("the mail backend sent nothing")


class ConsoleSmsTransport:
    """Prints text messages (for a local demo); a provider's transport replaces it."""

    def send(self, message: OutgoingMessage, handing_over: Callable[[], None]) -> None:
        handing_over()
        sys.stdout.write(f"SMS to {message.to}: {message.body}\n")
        sys.stdout.flush()


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_transport() -> Transport:
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return SmtpTransport()
    return DjangoMailTransport()


SMS_TRANSPORTS: dict[str, Callable[[], Transport]] = {"console": ConsoleSmsTransport}


def sms_transport() -> Transport:
    return SMS_TRANSPORTS[settings.SMS_BACKEND]()
