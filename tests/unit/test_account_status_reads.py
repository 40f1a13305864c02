"""An account's status is read once per expiry, however many of its requests ask at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.account_status import SqlAccountStatus

CUSTOMER = uuid.uuid4()


class GatedAccountStatus(SqlAccountStatus):
    """The real cache over a database read that waits at a gate, so a test decides when it lands."""

    def __init__(self, ttl_seconds: float = 60) -> None:
        super().__init__(cast(AsyncEngine, None), ttl_seconds=ttl_seconds)
        self.reads = 0
        self.gate = asyncio.Event()
        self.active_in_database = True

    async def _read(self, customer_id: uuid.UUID) -> bool:
        self.reads += 1
        active = self.active_in_database  # what the database held when the read began
        await self.gate.wait()
        return active


async def settled() -> None:
    """Let every task started so far run up to its wait (a check, then the read it started)."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_requests_of_one_account_asking_at_once_share_one_read() -> None:
    status = GatedAccountStatus()
    checks = [asyncio.create_task(status.is_active(CUSTOMER)) for _ in range(20)]
    await settled()
    status.gate.set()
    assert await asyncio.gather(*checks) == [True] * 20
    assert status.reads == 1
    assert await status.is_active(CUSTOMER) is True
    assert status.reads == 1  # kept for the next check


async def test_a_check_after_the_account_is_disabled_here_does_not_join_an_older_read() -> None:
    status = GatedAccountStatus()
    before = asyncio.create_task(status.is_active(CUSTOMER))
    await settled()
    status.active_in_database = False  # this process disables the account ...
    status.forget(CUSTOMER)  # ... and drops what it knew
    after = asyncio.create_task(status.is_active(CUSTOMER))
    await settled()
    status.gate.set()
    assert await before is True
    assert await after is False
    assert status.reads == 2
    assert await status.is_active(CUSTOMER) is False  # the older answer was not kept


async def test_a_check_that_gives_up_leaves_the_shared_read_to_the_others() -> None:
    status = GatedAccountStatus()
    leaving = asyncio.create_task(status.is_active(CUSTOMER))
    staying = asyncio.create_task(status.is_active(CUSTOMER))
    await settled()
    leaving.cancel()
    await settled()
    status.gate.set()
    assert await staying is True
    assert leaving.cancelled()
    assert status.reads == 1


async def test_with_no_cache_every_check_after_a_read_lands_reads_again() -> None:
    status = GatedAccountStatus(ttl_seconds=0)
    status.gate.set()
    assert await status.is_active(CUSTOMER) is True
    assert await status.is_active(CUSTOMER) is True
    assert status.reads == 2


def test_a_read_left_unfinished_by_a_closed_event_loop_is_not_joined_on_the_next() -> None:
    status = GatedAccountStatus()
    first_loop = asyncio.new_event_loop()
    abandoned = first_loop.create_task(status.is_active(CUSTOMER))
    first_loop.run_until_complete(settled())
    first_loop.close()  # closed with the read still waiting at the gate

    async def check_again() -> bool:
        status.gate = asyncio.Event()
        status.gate.set()
        return await status.is_active(CUSTOMER)

    assert asyncio.run(check_again()) is True
    assert status.reads == 2
    assert not abandoned.done()
