"""Mailers: SMTP through aiosmtplib, or `.eml` files when no SMTP server is configured.

`SHOP_SMTP_URL` is `smtp://user:password@host:587?starttls=true` (or `smtps://`
for TLS from the first byte; user and password are optional and
percent-decoded). Without it every email is written as a `.eml` file into
`<data_dir>/mail/`, which any mail client opens: nothing is lost and no server
is needed to see what the shop sends.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from shop.application.notifications.ports import MailDeliveryError, OutgoingEmail

SMTP_PORTS = {"smtp": 25, "smtps": 465}
TRUE_WORDS = {"1", "true", "yes", "on"}


def compose(email: OutgoingEmail, sender: str) -> EmailMessage:
    """A MIME message with a plain-text part and its HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SMTP_PORTS or not parts.hostname:
            raise ValueError("SHOP_SMTP_URL must look like smtp://user:pass@host:587?starttls=true "
                             "(or smtps://host:465)")
        query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        starttls = query.get("starttls")
        return cls(
            host=parts.hostname,
            port=parts.port or SMTP_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            # Unset: aiosmtplib upgrades when the server offers STARTTLS.
            start_tls=None if starttls is None else starttls in TRUE_WORDS,
        )


class SmtpMailer:
    def __init__(self, server: SmtpServer, sender: str, timeout_seconds: float) -> None:
        self._server = server
        self._sender = sender
        self._timeout = timeout_seconds

    async def send(self, email: OutgoingEmail) -> None:
        try:
            await aiosmtplib.send(
                compose(email, self._sender), hostname=self._server.host,
                port=self._server.port, username=self._server.username,
                password=self._server.password, use_tls=self._server.use_tls,
                start_tls=self._server.start_tls, timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            raise MailDeliveryError(f"the mail server refused {refused.recipient}: "
                                    f"{refused.code} {refused.message}", permanent=True) from None
        except aiosmtplib.SMTPResponseException as error:
            raise MailDeliveryError(f"the mail server answered {error.code} {error.message}",
                                    permanent=500 <= error.code < 600) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailDeliveryError(f"the mail server at {self._server.host}:{self._server.port} "
                                    f"could not be reached: {type(error).__name__}: {error}",
                                    permanent=False) from None


class EmlFileMailer:
    """Writes each email to `<directory>/<message id>.eml`, atomically (write, then rename),
    so a reader never sees half a message and a resend overwrites instead of duplicating."""

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    async def send(self, email: OutgoingEmail) -> None:
        name = email.message_id.strip("<>").split("@")[0]
        data = compose(email, self._sender).as_bytes()
        try:
            await asyncio.to_thread(self._write, f"{name}.eml", data)
        except OSError as error:
            raise MailDeliveryError(f"could not write the email to {self._directory}: {error}",
                                    permanent=False) from None

    def _write(self, name: str, data: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, self._directory / name)
