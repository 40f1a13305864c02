"""Integration fixtures: a migrated engine on each real database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.db.migrate import upgrade_to_head
from shop.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database_settings(request: pytest.FixtureRequest, tmp_path: object) -> Settings:
    if request.param == "sqlite":
        settings: Settings = request.getfixturevalue("sqlite_settings")
        return settings
    return Settings(database_url=request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(database_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(database_settings)
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()
