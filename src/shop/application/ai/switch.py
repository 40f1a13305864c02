"""The handler every AI query gets when `SHOP_AI_ENABLED=false`."""

from __future__ import annotations

from typing import Any

from shop.application.ai.errors import AiDisabled


class RefuseWhileAiDisabled:
    """Answers every AI query with `AiDisabled` (a 503 problem at the HTTP edge)."""

    async def __call__(self, query: Any) -> Any:
        raise AiDisabled
