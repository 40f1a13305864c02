"""Email templates: files under `templates/<kind>/` rendered with Jinja2.

Each kind has `subject.txt`, `body.txt` (the plain-text part) and `body.html`
(extending `layout.html`). HTML is autoescaped, so a product or customer name
can never inject markup; undefined variables are errors, not blanks. Money is
shown with its currency through the `money` filter: `{{ total | money(currency) }}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shop.application.notifications.ports import RenderedEmail
from shop.domain.notifications.notification import NotificationKind

TEMPLATES = Path(__file__).parent / "templates"


def format_money(amount: Decimal | str, currency: str) -> str:
    """`1,234.50 USD`: exact (Decimal), two fraction digits, the ISO code after the amount."""
    return f"{Decimal(amount):,.2f} {currency}"


class JinjaEmailTemplates:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(enabled_extensions=("html",),
                                         default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self._env.filters["money"] = format_money

    def render(self, kind: NotificationKind, context: Mapping[str, Any]) -> RenderedEmail:
        subject = " ".join(self._env.get_template(f"{kind.value}/subject.txt")
                           .render(context).split())
        values = {**context, "subject": subject}
        return RenderedEmail(
            subject=subject,
            text=self._env.get_template(f"{kind.value}/body.txt").render(values),
            html=self._env.get_template(f"{kind.value}/body.html").render(values),
        )
