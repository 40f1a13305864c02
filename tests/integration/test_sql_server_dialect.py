"""SQL Server: the schema and the stock statement compiled always, run where Docker is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateIndex, CreateTable

from shop.infrastructure.db.schema import metadata
from shop.infrastructure.db.stock_repositories import stock_delta_statement, stock_set_statement
from tests.support.services import docker_available

# What SQLAlchemy picks on connecting to SQL Server 2012 or later (NVARCHAR(max), not NTEXT).
DIALECT = mssql.dialect(deprecate_large_types=True)  # type: ignore[no-untyped-call]
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def ddl() -> str:
    parts = []
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=DIALECT)))
        parts.extend(str(CreateIndex(index).compile(dialect=DIALECT)) for index in table.indexes)
    return "\n".join(parts)


def test_the_schema_compiles_to_sql_server_types() -> None:
    sql = ddl()
    assert "UNIQUEIDENTIFIER" in sql
    assert "NVARCHAR(200)" in sql
    assert "NVARCHAR(max)" in sql
    assert "DATETIME2(6)" in sql
    assert "BIGINT NOT NULL IDENTITY" in sql
    assert "CREATE UNIQUE INDEX uq_products_live_sku ON products (sku) WHERE" in sql


def test_the_stock_move_compiles_to_one_conditional_update_with_output() -> None:
    sql = str(stock_delta_statement(uuid.uuid4(), -2, NOW).compile(dialect=DIALECT))
    assert sql.startswith("UPDATE stock SET on_hand=(stock.on_hand +")
    assert "OUTPUT inserted.on_hand, inserted.version, inserted.updated_at" in sql
    assert "WHERE stock.product_id =" in sql
    assert "stock.on_hand +" in sql.split("WHERE", 1)[1]


def test_setting_stock_compiles_with_output_too() -> None:
    sql = str(stock_set_statement(uuid.uuid4(), 5, NOW).compile(dialect=DIALECT))
    assert "OUTPUT inserted.on_hand" in sql


@pytest.mark.mssql
async def test_the_schema_and_stock_statement_run_on_sql_server() -> None:
    if not docker_available():
        pytest.skip("no Docker daemon reachable: SQL Server runs only through testcontainers")
    pytest.importorskip("aioodbc", reason="the mssql extra (pyodbc, aioodbc) is not installed")
    from testcontainers.mssql import SqlServerContainer

    from shop.infrastructure.db.engine import build_engine
    from shop.infrastructure.db.migrate import upgrade_to_head
    from shop.settings import Settings

    with SqlServerContainer(dialect="mssql+pyodbc") as server:
        driver = "?driver=ODBC+Driver+18+for+SQL+Server&TrustServerCertificate=yes"
        url = server.get_connection_url() + driver
        engine = build_engine(Settings(database_url=url))
        try:
            await upgrade_to_head(engine)
            async with engine.begin() as conn:
                result = await conn.execute(stock_delta_statement(uuid.uuid4(), -1, NOW))
                assert result.first() is None
        finally:
            await engine.dispose()
