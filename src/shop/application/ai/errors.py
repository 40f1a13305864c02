"""How the AI features refuse: switched off by configuration."""

from __future__ import annotations

from shop.domain.shared.errors import ServiceUnavailable


class AiDisabled(ServiceUnavailable):
    """`SHOP_AI_ENABLED=false`: the AI endpoints answer 503 problems instead of running."""

    title = "AI features disabled"

    def __init__(self) -> None:
        super().__init__("The AI features are switched off on this server (SHOP_AI_ENABLED=false).")
