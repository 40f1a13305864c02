"""The Redis consumer runtime: consumer groups on the events stream, acknowledged after the
handler, claimed when left pending, dead-lettered after the retry budget, through outages."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory
from shop.infrastructure.events.dead_letters import RedisDeadLetters, replay_dead_letter
from shop.infrastructure.events.delivery import ConsumerPolicy
from shop.infrastructure.events.received import RawEvent, format_occurred_at
from shop.infrastructure.events.stream_consumers import StreamConsumerRuntime, ensure_groups
from shop.settings import Settings
from tests.support.consumers import (
    RecordingConsumer,
    eventually,
    kept_letters,
    runtime_with_consumers,
)
from tests.support.private_redis import private_redis

pytestmark = pytest.mark.redis

POLICY = ConsumerPolicy(max_deliveries=3, claim_idle_seconds=0.2, block_seconds=0.1,
                        batch_size=10)
PAID = frozenset({"OrderPaid"})


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, socket_timeout=5)
    yield client
    await client.aclose()


@pytest.fixture
def stream(redis_prefix: str) -> str:
    return f"{redis_prefix}events"


def order_paid() -> RawEvent:
    return RawEvent(type="OrderPaid", id=str(uuid.uuid4()),
                    occurred_at=format_occurred_at(datetime.now(UTC)),
                    data=json.dumps({"order_id": str(uuid.uuid4())}))


async def append(redis: Redis, stream: str, event: RawEvent) -> None:
    await redis.xadd(stream, event.fields())  # type: ignore[arg-type]


async def pending(redis: Redis, stream: str, group: str) -> int:
    summary = await redis.xpending(stream, group)
    return int(summary["pending"])


def runtime_for(redis: Redis, stream: str, *consumers: RecordingConsumer,
                name: str | None = None) -> StreamConsumerRuntime:
    return StreamConsumerRuntime(redis, stream, consumers, RedisDeadLetters(redis, stream),
                                 POLICY, name=name)


async def test_every_group_gets_every_event_once_and_acknowledges_it(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", PAID)
    projection = RecordingConsumer("projection", PAID)
    runtime = runtime_for(redis, stream, mailer, projection)
    await ensure_groups(redis, stream, [mailer, projection])
    events = [order_paid() for _ in range(5)]
    await runtime.start()
    try:
        for event in events:
            await append(redis, stream, event)
        await eventually(lambda: len(mailer.handled) == 5 and len(projection.handled) == 5,
                         "both consumers handled the five events")
    finally:
        await runtime.stop()

    assert mailer.handled_ids == [e.id for e in events]
    assert projection.handled_ids == [e.id for e in events]
    assert mailer.handled[0].data["order_id"] == json.loads(events[0].data)["order_id"]
    assert await pending(redis, stream, "mailer") == 0
    assert await pending(redis, stream, "projection") == 0


async def test_events_of_other_types_are_acknowledged_without_reaching_the_handler(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", frozenset({"CustomerRegistered"}))
    await ensure_groups(redis, stream, [mailer])
    runtime = runtime_for(redis, stream, mailer)
    registered = RawEvent(type="CustomerRegistered", id=str(uuid.uuid4()),
                          occurred_at=format_occurred_at(datetime.now(UTC)),
                          data=json.dumps({"customer_id": str(uuid.uuid4())}))
    await runtime.start()
    try:
        await append(redis, stream, order_paid())
        await append(redis, stream, registered)
        await eventually(lambda: len(mailer.handled) == 1, "the registration was handled")
    finally:
        await runtime.stop()
    assert mailer.handled_ids == [registered.id]
    assert mailer.calls == 1
    assert await pending(redis, stream, "mailer") == 0


async def test_a_handler_that_failed_gets_the_event_again_after_the_claim_idle_time(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", PAID, failures=1)
    await ensure_groups(redis, stream, [mailer])
    runtime = runtime_for(redis, stream, mailer)
    event = order_paid()
    await runtime.start()
    try:
        await append(redis, stream, event)
        await eventually(lambda: len(mailer.handled) == 1, "the retried event was handled")
    finally:
        await runtime.stop()
    assert mailer.calls == 2
    assert mailer.handled_ids == [event.id]
    assert await pending(redis, stream, "mailer") == 0


async def test_a_handler_that_always_fails_ends_in_the_dead_letter_stream_and_is_replayable(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", PAID, always_fail=True)
    dead = RedisDeadLetters(redis, stream)
    await ensure_groups(redis, stream, [mailer])
    runtime = runtime_for(redis, stream, mailer)
    event = order_paid()
    await runtime.start()
    try:
        await append(redis, stream, event)
        letters = await kept_letters(dead)
    finally:
        await runtime.stop()

    assert dead.stream == f"{stream}:dead"
    [letter] = letters
    assert letter.consumer == "mailer"
    assert letter.event == event
    assert letter.error == "RuntimeError: the mail server said no"
    assert letter.deliveries == POLICY.max_deliveries
    assert await pending(redis, stream, "mailer") == 0
    assert mailer.calls == POLICY.max_deliveries  # acknowledged: never delivered again

    mailer.always_fail = False
    replayed = await replay_dead_letter(dead, [mailer], letter.id)
    assert replayed.id == letter.id
    assert mailer.handled_ids == [event.id]
    assert await dead.oldest(10) == []


async def test_a_malformed_entry_is_dead_lettered_instead_of_blocking_the_group(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", PAID)
    dead = RedisDeadLetters(redis, stream)
    await ensure_groups(redis, stream, [mailer])
    runtime = runtime_for(redis, stream, mailer)
    good = order_paid()
    await runtime.start()
    try:
        await redis.xadd(stream, {"type": "OrderPaid", "id": "not-a-uuid", "data": "{}"})
        await append(redis, stream, good)
        await eventually(lambda: len(mailer.handled) == 1, "the good event was handled")
        letters = await kept_letters(dead)
    finally:
        await runtime.stop()
    assert mailer.handled_ids == [good.id]
    assert letters[0].event.id == "not-a-uuid"
    assert "malformed" in letters[0].error


async def test_two_workers_sharing_a_group_handle_each_event_exactly_once(
    redis: Redis, stream: str
) -> None:
    first = RecordingConsumer("mailer", PAID)
    second = RecordingConsumer("mailer", PAID)
    await ensure_groups(redis, stream, [first])
    runtimes = [runtime_for(redis, stream, first, name="worker-1"),
                runtime_for(redis, stream, second, name="worker-2")]
    events = [order_paid() for _ in range(60)]
    for runtime in runtimes:
        await runtime.start()
    try:
        for event in events:
            await append(redis, stream, event)
        await eventually(lambda: len(first.handled) + len(second.handled) >= 60,
                         "the two workers handled sixty events")
    finally:
        for runtime in runtimes:
            await runtime.stop()
    handled = first.handled_ids + second.handled_ids
    assert sorted(handled) == sorted(e.id for e in events)


async def test_entries_left_pending_by_a_dead_worker_are_claimed_by_a_live_one(
    redis: Redis, stream: str
) -> None:
    mailer = RecordingConsumer("mailer", PAID)
    await ensure_groups(redis, stream, [mailer])
    events = [order_paid() for _ in range(3)]
    for event in events:
        await append(redis, stream, event)
    # A worker read them and died before acknowledging.
    await redis.xreadgroup("mailer", "crashed-worker", {stream: ">"}, count=10)
    assert await pending(redis, stream, "mailer") == 3

    runtime = runtime_for(redis, stream, mailer)
    await runtime.start()
    try:
        await eventually(lambda: len(mailer.handled) == 3, "the live worker claimed them")
    finally:
        await runtime.stop()
    assert mailer.handled_ids == [e.id for e in events]
    assert await pending(redis, stream, "mailer") == 0


async def test_a_redis_outage_stops_consumption_and_it_resumes_by_itself_losing_nothing(
    tmp_path: Path,
) -> None:
    with private_redis(tmp_path) as server:
        redis = Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=0.5)
        stream = "shop:events"
        mailer = RecordingConsumer("mailer", PAID)
        await ensure_groups(redis, stream, [mailer])
        runtime = runtime_for(redis, stream, mailer)
        before = [order_paid() for _ in range(3)]
        after = [order_paid() for _ in range(3)]
        await runtime.start()
        try:
            for event in before:
                await append(redis, stream, event)
            await eventually(lambda: len(mailer.handled) == 3, "events before the outage")

            server.stop()
            await asyncio.sleep(0.5)  # the consumer's reads fail meanwhile
            server.start()
            for event in after:
                await append(redis, stream, event)
            await eventually(lambda: len(mailer.handled) == 6, "events after the outage")
        finally:
            await runtime.stop()
            await redis.aclose()
    assert mailer.handled_ids == [e.id for e in before + after]


async def test_events_committed_through_the_shop_reach_its_consumers(
    postgres_redis_settings: Settings,
) -> None:
    categories = RecordingConsumer("catalog-watcher", frozenset({"CategoryCreated"}))
    runtime = runtime_with_consumers(postgres_redis_settings.with_overrides(
        consumer_claim_idle_seconds=0.2, consumer_block_seconds=0.1), categories)
    await runtime.start()
    try:
        await runtime.start_consuming()
        category = await runtime.bus.handle(CreateCategory(name="Shoes"))
        await eventually(lambda: len(categories.handled) == 1, "the category event arrived")
    finally:
        await runtime.stop()
    [event] = categories.handled
    assert event.type == "CategoryCreated"
    assert event.data["category_id"] == str(category.id)
