"""Argon2id password hashing, run off the event loop (a verify takes ~100 ms by design)."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher as Argon2
from argon2 import Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile) unless told otherwise.

    `needs_rehash` reports hashes made with other parameters, so raising the
    cost later upgrades each account at its next successful login.
    """

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None,
                 parallelism: int | None = None) -> None:
        base = profiles.RFC_9106_LOW_MEMORY  # argon2-cffi's own default profile
        self._argon2 = Argon2(
            time_cost=time_cost or base.time_cost,
            memory_cost=memory_cost or base.memory_cost,
            parallelism=parallelism or base.parallelism,
            hash_len=base.hash_len,
            salt_len=base.salt_len,
            type=Type.ID,
        )
        self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._argon2.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None
