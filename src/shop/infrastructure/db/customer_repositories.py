"""Repositories of the customers context over SQLAlchemy Core."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.application.customers.ports import PasswordResetRecord, RefreshTokenRecord
from shop.domain.customers.customer import Customer
from shop.domain.customers.errors import EmailTaken
from shop.domain.customers.values import EmailAddress, Role
from shop.infrastructure.db.address_columns import address_columns, address_from
from shop.infrastructure.db.base_repository import SqlRepository
from shop.infrastructure.db.schema import customers, password_reset_tokens, refresh_tokens


def customer_from_row(row: Any) -> Customer:
    address = address_from(row)
    return Customer(
        id=row.id, email=EmailAddress(row.email), full_name=row.full_name,
        password_hash=row.password_hash, role=Role(row.role), created_at=row.created_at,
        updated_at=row.updated_at, phone=row.phone, shipping_address=address,
        disabled_at=row.disabled_at,
    )


def _customer_row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email.value,
        "full_name": customer.full_name,
        "phone": customer.phone,
        **address_columns(customer.shipping_address),
        "password_hash": customer.password_hash,
        "role": customer.role.value,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "disabled_at": customer.disabled_at,
    }


_SELECT_BY_ID = sa.select(customers).where(customers.c.id == sa.bindparam("customer_id"))
"""Built once (every order without an address reads its customer): compiled once too."""


class SqlCustomerRepository(SqlRepository):
    async def add(self, customer: Customer) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(sa.insert(customers).values(**_customer_row(customer)))
        except IntegrityError:
            raise EmailTaken() from None  # the one unique column a new id can clash on
        self._track(customer)

    async def get(self, customer_id: uuid.UUID) -> Customer | None:
        row = (await self._conn.execute(_SELECT_BY_ID, {"customer_id": customer_id})).first()
        return None if row is None else customer_from_row(row)

    async def get_by_email(self, email: EmailAddress) -> Customer | None:
        return await self._one(customers.c.email == email.value)

    async def save(self, customer: Customer) -> None:
        values = _customer_row(customer)
        del values["id"], values["created_at"]
        await self._conn.execute(
            sa.update(customers).where(customers.c.id == customer.id).values(**values))
        self._track(customer)

    async def _one(self, condition: sa.ColumnElement[bool]) -> Customer | None:
        row = (await self._conn.execute(sa.select(customers).where(condition))).first()
        return None if row is None else customer_from_row(row)


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, record: RefreshTokenRecord) -> None:
        await self._conn.execute(sa.insert(refresh_tokens).values(
            id=record.id, family_id=record.family_id, customer_id=record.customer_id,
            token_hash=record.token_hash, created_at=record.created_at,
            expires_at=record.expires_at, used_at=record.used_at, revoked_at=record.revoked_at,
        ))

    async def find(self, token_hash: str) -> RefreshTokenRecord | None:
        row = (await self._conn.execute(
            sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        )).first()
        if row is None:
            return None
        return RefreshTokenRecord(
            id=row.id, family_id=row.family_id, customer_id=row.customer_id,
            token_hash=row.token_hash, created_at=row.created_at, expires_at=row.expires_at,
            used_at=row.used_at, revoked_at=row.revoked_at,
        )

    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """One conditional update: of two concurrent refreshes, exactly one spends it."""
        result = await self._conn.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None),
                   refresh_tokens.c.revoked_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self._conn.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        await self._conn.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.customer_id == customer_id,
                   refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class SqlPasswordResetTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, record: PasswordResetRecord) -> None:
        await self._conn.execute(sa.insert(password_reset_tokens).values(
            id=record.id, customer_id=record.customer_id, token_hash=record.token_hash,
            created_at=record.created_at, expires_at=record.expires_at, used_at=record.used_at,
        ))

    async def find(self, token_hash: str) -> PasswordResetRecord | None:
        row = (await self._conn.execute(
            sa.select(password_reset_tokens)
            .where(password_reset_tokens.c.token_hash == token_hash)
        )).first()
        if row is None:
            return None
        return PasswordResetRecord(
            id=row.id, customer_id=row.customer_id, token_hash=row.token_hash,
            created_at=row.created_at, expires_at=row.expires_at, used_at=row.used_at,
        )

    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """One conditional update: of two concurrent confirmations, exactly one wins."""
        result = await self._conn.execute(
            sa.update(password_reset_tokens)
            .where(password_reset_tokens.c.id == token_id,
                   password_reset_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def spend_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        await self._conn.execute(
            sa.update(password_reset_tokens)
            .where(password_reset_tokens.c.customer_id == customer_id,
                   password_reset_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
