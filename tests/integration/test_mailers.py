"""The mailers and templates against a real SMTP server (aiosmtpd) and real files."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from shop.application.notifications.ports import MailDeliveryError, OutgoingEmail
from shop.domain.notifications.notification import NotificationKind
from shop.infrastructure.notifications.mailers import EmlFileMailer, SmtpMailer, SmtpServer
from shop.infrastructure.notifications.templates import JinjaEmailTemplates, format_money
from tests.support.private_redis import free_port
from tests.support.smtp import smtp_server

FROM = "shop@example.com"


def email_to(address: str) -> OutgoingEmail:
    return OutgoingEmail(to=address, subject="Your order", text="plain words",
                         html="<p>rich words</p>", message_id="<abc123@shop.notifications>")


def parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart()}


async def test_the_smtp_mailer_delivers_a_plain_text_email_with_its_html_alternative() -> None:
    with smtp_server() as server:
        mailer = SmtpMailer(SmtpServer.parse(server.url), FROM, timeout_seconds=10)
        await mailer.send(email_to("ada@example.com"))
        [message] = server.inbox.to("ada@example.com")
    assert message["From"] == FROM
    assert message["Subject"] == "Your order"
    assert message["Message-ID"] == "<abc123@shop.notifications>"
    assert message.get_content_type() == "multipart/alternative"
    body = parts(message)
    assert body["text/plain"].strip() == "plain words"
    assert body["text/html"].strip() == "<p>rich words</p>"


async def test_a_refused_recipient_is_a_permanent_failure_with_the_servers_reason() -> None:
    with smtp_server() as server:
        server.inbox.refuse.add("gone@example.com")
        mailer = SmtpMailer(SmtpServer.parse(server.url), FROM, timeout_seconds=10)
        with pytest.raises(MailDeliveryError) as refused:
            await mailer.send(email_to("gone@example.com"))
    assert refused.value.permanent
    assert "gone@example.com" in refused.value.reason and "550" in refused.value.reason


async def test_an_unreachable_server_is_a_transient_failure() -> None:
    mailer = SmtpMailer(SmtpServer.parse(f"smtp://127.0.0.1:{free_port()}"), FROM,
                        timeout_seconds=2)
    with pytest.raises(MailDeliveryError) as unreachable:
        await mailer.send(email_to("ada@example.com"))
    assert not unreachable.value.permanent
    assert "could not be reached" in unreachable.value.reason


def test_the_smtp_url_gives_host_port_credentials_and_tls() -> None:
    server = SmtpServer.parse("smtp://mailer%40shop:p%3Ass@mail.example.com:587?starttls=true")
    assert (server.host, server.port, server.username, server.password) == (
        "mail.example.com", 587, "mailer@shop", "p:ss")
    assert (server.use_tls, server.start_tls) == (False, True)
    assert SmtpServer.parse("smtps://mail.example.com").port == 465
    assert SmtpServer.parse("smtps://mail.example.com").use_tls
    with pytest.raises(ValueError, match="SHOP_SMTP_URL"):
        SmtpServer.parse("http://mail.example.com")


async def test_without_smtp_each_email_is_an_eml_file_a_mail_client_opens(tmp_path: Path) -> None:
    mailer = EmlFileMailer(tmp_path / "mail", FROM)
    await mailer.send(email_to("ada@example.com"))
    await mailer.send(email_to("ada@example.com"))  # the same message: overwritten, not doubled

    [file] = (tmp_path / "mail").iterdir()
    assert file.name == "abc123.eml"
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "ada@example.com"
    assert parts(message)["text/plain"].strip() == "plain words"


def test_templates_escape_html_keep_plain_text_and_show_money_with_its_currency() -> None:
    rendered = JinjaEmailTemplates().render(NotificationKind.ORDER_CONFIRMATION, {
        "name": "Ada <script>", "order_id": "0b7e1c2a-0000-4000-8000-000000000000",
        "lines": [{"product_name": "Trail <b>Runner</b>", "quantity": 2,
                   "unit_price": "1234.50", "line_total": "2469.00"}],
        "total": "2469.00", "currency": "EUR", "refunded": False, "refund_pending": False,
    })
    assert rendered.subject == "Your order 0b7e1c2a is confirmed: 2,469.00 EUR"
    assert "Trail &lt;b&gt;Runner&lt;/b&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "2 x Trail <b>Runner</b> at 1,234.50 EUR = 2,469.00 EUR" in rendered.text
    assert "Total: 2,469.00 EUR" in rendered.text


def test_every_kind_has_its_three_templates() -> None:
    templates = JinjaEmailTemplates()
    context = {"name": "Ada", "order_id": "0b7e1c2a", "lines": [], "total": "1.00",
               "currency": "USD", "refunded": True, "refund_pending": False,
               "product_name": "Runner", "product_id": "p1", "stock": 3, "threshold": 5,
               "token": "t", "valid_minutes": 30, "expires_at": "2026-12-01 10:30 UTC"}
    subjects = {kind: templates.render(kind, context).subject for kind in NotificationKind}
    assert subjects[NotificationKind.ORDER_CANCELLED] == (
        "Your order 0b7e1c2a was cancelled and refunded")
    assert subjects[NotificationKind.LOW_STOCK] == "Low stock: Runner (3 left)"
    assert format_money("5", "JPY") == "5.00 JPY"
