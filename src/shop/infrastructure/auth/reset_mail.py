"""The password reset email, written as an `.eml` file under the data directory.

This is the interim delivery of `PasswordResetNotifier` until the
notification service's Mailer (SMTP, or `.eml` files without SHOP_SMTP_URL)
is wired in its place by the composition root: a user of the embedded
default finds the message in `<data_dir>/mail/` and can open it in any mail
client. Files are created with mode 0600: they carry a live reset token.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Final

SUBJECT: Final = "Reset your shop password"


def reset_message(*, sender: str, recipient: str, token: str, expires_at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = SUBJECT
    message["Date"] = format_datetime(datetime.now(expires_at.tzinfo))
    message["Message-ID"] = make_msgid(domain="shop.invalid")
    message.set_content(
        "Someone asked to reset the password of your shop account.\n\n"
        f"Your reset token: {token}\n\n"
        "Send it with your new password to POST /api/v1/auth/password-reset/confirm\n"
        '({"token": "...", "new_password": "..."}). It works once, until '
        f"{expires_at.strftime('%Y-%m-%d %H:%M UTC')}.\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    return message


class EmlFilePasswordResetNotifier:
    def __init__(self, folder: Path, sender: str) -> None:
        self._folder = folder
        self._sender = sender

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None:
        message = reset_message(sender=self._sender, recipient=email, token=token,
                                expires_at=expires_at)
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> Path:
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"password-reset-{uuid.uuid4().hex}.eml"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes())
        return path
