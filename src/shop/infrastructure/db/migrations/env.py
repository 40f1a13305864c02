"""Alembic environment: runs on the connection the shop hands it (see migrate.py)."""

from __future__ import annotations

from alembic import context

from shop.infrastructure.db.schema import is_declared_here, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `shop migrate` (shop.infrastructure.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=is_declared_here,
)
with context.begin_transaction():
    context.run_migrations()
