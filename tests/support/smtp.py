"""A real SMTP server for tests: aiosmtpd on a free port, keeping what it received, parsed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.private_redis import free_port


@dataclass
class Inbox:
    """What the server accepted; `refuse` makes it answer 550 to an address at RCPT."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    delay_seconds: float = 0.0
    """How long each recipient takes to be accepted: a slow server keeps sends in flight."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false"


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port=port, inbox=inbox)
    finally:
        controller.stop()
