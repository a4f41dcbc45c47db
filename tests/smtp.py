"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and settings that use it."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from django.test import override_settings

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@dataclass
class Mailbox:
    """What the server accepted; `refuse` makes RCPT answer 550 for these addresses.

    `hold_rcpt` / `hold_data`, while set, keep the server from answering RCPT, or from
    confirming a message it has already received, so a client can be killed right there.
    """

    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    recipients_asked: list[str] = field(default_factory=list)
    hold_rcpt: threading.Event = field(default_factory=threading.Event)
    hold_data: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.recipients_asked.append(address)
        while self.hold_rcpt.is_set():
            await asyncio.sleep(0.05)
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        while self.hold_data.is_set():
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_listener() -> Iterator[tuple[Mailbox, int]]:
    """Run an SMTP server on 127.0.0.1; yield its mailbox and port."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        mailbox.hold_rcpt.clear()
        mailbox.hold_data.clear()
        controller.stop()


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Run an SMTP server on 127.0.0.1 and point Django's e-mail settings at it."""
    with (
        smtp_listener() as (mailbox, port),
        override_settings(
            EMAIL_BACKEND=SMTP_BACKEND,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=5,
        ),
    ):
        yield mailbox


@contextmanager
def no_smtp_server() -> Iterator[None]:
    """Point Django's e-mail settings at a port where nothing listens."""
    with override_settings(
        EMAIL_BACKEND=SMTP_BACKEND, EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port(), EMAIL_TIMEOUT=2
    ):
        yield
