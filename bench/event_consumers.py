"""Event consumers through Redis consumer groups: throughput and commit-to-handled delay.

Measured in one run, on the machine's Redis (127.0.0.1:6379), under a private
key prefix that is deleted at the end:

- baseline `xadd`: raw `XADD` of one entry per round trip (what `redis-benchmark`
  measures, through redis-py asyncio);
- baseline `xreadgroup`: one process draining a pre-filled stream with raw
  `XREADGROUP COUNT 50` + `XACK`, no runtime;
- `runtime x1`, `runtime x2`: the shop's `StreamConsumerRuntime` with a consumer
  that does nothing, in one and in two worker processes sharing the group,
  draining the same number of pre-filled entries;
- delay: events committed one by one through the shop (PostgreSQL when reachable,
  else SQLite; outbox, relay, stream) to a consumer in the same process, from
  the event's `occurred_at` to the end of `handle()`, p50/p99; beside the raw
  `XADD` -> blocked `XREADGROUP` delay of the same number of entries.

Ratios are against the raw `xreadgroup` baseline of the same run. Nothing is
asserted; the machine is shared, so compare figures of one run only.

    .venv/bin/python bench/event_consumers.py [--events 20000] [--delay-events 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.synchronize
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import (
    Services,
    add_common_arguments,
    machine,
    percentile,
    print_machine,
    run_main,
    sqlalchemy_url,
)
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory
from shop.application.consumers import ReceivedEvent
from shop.bootstrap import build_runtime
from shop.infrastructure.events.dead_letters import RedisDeadLetters
from shop.infrastructure.events.delivery import ConsumerPolicy
from shop.infrastructure.events.received import RawEvent, format_occurred_at
from shop.infrastructure.events.stream_consumers import StreamConsumerRuntime, ensure_groups
from shop.settings import Settings

GROUP = "bench"
POLICY = ConsumerPolicy(batch_size=50, block_seconds=0.2, claim_idle_seconds=30.0)


class CountingConsumer:
    """Does nothing but count (and time, when asked): the runtime's own cost is measured."""

    name = GROUP
    event_types = frozenset({"OrderPaid", "CategoryCreated"})

    def __init__(self, expected: int = 0) -> None:
        self.handled = 0
        self.expected = expected
        self.all_handled = asyncio.Event()
        self.delays: list[float] = []

    async def handle(self, event: ReceivedEvent) -> None:
        self.handled += 1
        self.delays.append((datetime.now(UTC) - event.occurred_at).total_seconds())
        if self.handled == self.expected:
            self.all_handled.set()


def entry() -> dict[str, str]:
    return RawEvent(type="OrderPaid", id=str(uuid.uuid4()),
                    occurred_at=format_occurred_at(datetime.now(UTC)),
                    data=json.dumps({"order_id": str(uuid.uuid4())})).fields()


async def fill(redis: Redis, stream: str, count: int) -> None:
    await redis.delete(stream)
    for start in range(0, count, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(min(1000, count - start)):
                pipe.xadd(stream, entry())  # type: ignore[arg-type]
            await pipe.execute()
    await redis.xgroup_create(stream, GROUP, id="0")


async def raw_xadd(redis: Redis, stream: str, count: int) -> float:
    await redis.delete(stream)
    started = time.perf_counter()
    for _ in range(count):
        await redis.xadd(stream, entry())  # type: ignore[arg-type]
    return count / (time.perf_counter() - started)


async def raw_drain(redis: Redis, stream: str, count: int) -> float:
    await fill(redis, stream, count)
    started = time.perf_counter()
    done = 0
    while done < count:
        answer = await redis.xreadgroup(GROUP, "raw", {stream: ">"}, count=50, block=200)
        for _stream, entries in answer or ():
            ids = [entry_id for entry_id, _fields in entries]
            for _entry_id, fields in entries:
                RawEvent.from_stream(fields).parse()  # the same parsing the runtime does
            await redis.xack(stream, GROUP, *ids)
            done += len(ids)
    return count / (time.perf_counter() - started)


def worker_process(redis_url: str, stream: str, ready: multiprocessing.synchronize.Event,
                   go: multiprocessing.synchronize.Event) -> None:
    async def consume() -> None:
        redis = Redis.from_url(redis_url, socket_timeout=10)
        runtime = StreamConsumerRuntime(redis, stream, [CountingConsumer()],
                                        RedisDeadLetters(redis, stream), POLICY)
        await redis.ping()
        ready.set()
        await asyncio.to_thread(go.wait)
        await runtime.start()
        await asyncio.sleep(3600)

    asyncio.run(consume())


async def runtime_drain(redis: Redis, redis_url: str, stream: str, count: int,
                        workers: int) -> float:
    await fill(redis, stream, count)
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(workers)]
    processes = [context.Process(target=worker_process, args=(redis_url, stream, ready, go),
                                 daemon=True) for ready in readies]
    for process in processes:
        process.start()
    for ready in readies:
        await asyncio.to_thread(ready.wait)
    started = time.perf_counter()
    go.set()
    try:
        while True:
            [group] = await redis.xinfo_groups(stream)
            if group["lag"] == 0 and group["pending"] == 0:
                return count / (time.perf_counter() - started)
            await asyncio.sleep(0.005)
    finally:
        for process in processes:
            process.kill()
            process.join()


async def raw_delays(redis: Redis, redis_url: str, stream: str, count: int) -> list[float]:
    await redis.delete(stream)
    await redis.xgroup_create(stream, GROUP, id="$", mkstream=True)
    delays: list[float] = []

    async def read() -> None:
        reader = Redis.from_url(redis_url, socket_timeout=10)
        while len(delays) < count:
            answer = await reader.xreadgroup(GROUP, "raw", {stream: ">"}, count=50, block=200)
            for _stream, entries in answer or ():
                for entry_id, fields in entries:
                    event = RawEvent.from_stream(fields).parse()
                    delays.append((datetime.now(UTC) - event.occurred_at).total_seconds())
                    await reader.xack(stream, GROUP, entry_id)
        await reader.aclose()

    reading = asyncio.create_task(read())
    for _ in range(count):
        await redis.xadd(stream, entry())  # type: ignore[arg-type]
        await asyncio.sleep(0.002)
    await reading
    return delays


async def commit_delays(redis_url: str, database: str | None, prefix: str, count: int,
                        data_dir: Path) -> list[float]:
    settings = Settings(data_dir=data_dir, database_url=database, migrate_on_start=True,
                        redis_url=redis_url, redis_prefix=prefix,
                        events_stream=f"{prefix}shop-events", log_level="WARNING",
                        consumer_block_seconds=0.2, jwt_secret=uuid.uuid4().hex * 2)
    runtime = build_runtime(settings)
    consumer = CountingConsumer(expected=count)
    redis = Redis.from_url(redis_url, socket_timeout=10)
    consumers = StreamConsumerRuntime(redis, settings.events_stream, [consumer],
                                      RedisDeadLetters(redis, settings.events_stream), POLICY)
    try:
        await runtime.start()
        await ensure_groups(redis, settings.events_stream, [consumer])
        await consumers.start()
        for n in range(count):
            await runtime.bus.handle(CreateCategory(name=f"Bench {n}"))
            await asyncio.sleep(0.002)
        await consumer.all_handled.wait()
    finally:
        await consumers.stop()
        await runtime.stop()
        await redis.aclose()
    return consumer.delays


def milliseconds(values: list[float], pct: float) -> float:
    value = percentile(values, pct)
    return round((value or 0.0) * 1000, 2)


async def run(args: argparse.Namespace, database: str | None, prefix: str) -> dict[str, Any]:
    stream = f"{prefix}stream"
    url = args.redis_url
    redis = Redis.from_url(url, socket_timeout=10)
    try:
        xadd = await raw_xadd(redis, stream, args.events // 4)
        raw = await raw_drain(redis, stream, args.events)
        one = await runtime_drain(redis, url, stream, args.events, 1)
        two = await runtime_drain(redis, url, stream, args.events, 2)
        raw_delay = await raw_delays(redis, url, stream, args.delay_events)
        with tempfile.TemporaryDirectory() as data_dir:
            delays = await commit_delays(url, database, prefix, args.delay_events,
                                         Path(data_dir))
    finally:
        await redis.aclose()
    return {
        "events": args.events, "database": "postgresql" if database else "sqlite",
        "events_per_second": {"xadd": round(xadd), "xreadgroup": round(raw),
                              "runtime_x1": round(one), "runtime_x2": round(two)},
        "ratio_to_xreadgroup": {"runtime_x1": round(one / raw, 2),
                                "runtime_x2": round(two / raw, 2)},
        "delay_ms": {
            "raw_xadd_to_xreadgroup": {"p50": milliseconds(raw_delay, 50),
                                       "p99": milliseconds(raw_delay, 99)},
            "commit_to_handled": {"p50": milliseconds(delays, 50),
                                  "p99": milliseconds(delays, 99),
                                  "mean": round(statistics.fmean(delays) * 1000, 2)},
        },
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Create the private database and prefix, run, and remove both whatever happens."""
    services = Services(args.admin_dsn, args.redis_url)
    prefix = f"shop-bench-events-{uuid.uuid4().hex[:8]}:"
    name = f"shop_bench_events_{uuid.uuid4().hex[:8]}"
    database: str | None = None
    try:
        if not args.sqlite:
            services.create_database(name)
            database = sqlalchemy_url(args.admin_dsn, name)
        return asyncio.run(run(args, database, prefix))
    finally:
        if database:
            services.drop_database(name)
        services.delete_prefix(prefix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000,
                        help="entries drained per throughput run (default 20000)")
    parser.add_argument("--delay-events", type=int, default=300,
                        help="events committed one by one for the delay figures (default 300)")
    parser.add_argument("--sqlite", action="store_true",
                        help="commit the delay events to SQLite instead of PostgreSQL")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    before = machine()
    result = {**measure(args), "machine": {"before": before, "after": machine()}}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    rates = result["events_per_second"]
    ratios = result["ratio_to_xreadgroup"]
    delay = result["delay_ms"]
    assert isinstance(rates, dict)
    assert isinstance(ratios, dict)
    assert isinstance(delay, dict)
    print_machine(before, result["machine"]["after"])
    print(f"events per second ({result['events']} entries):")
    print(f"  raw XADD, one per round trip  {rates['xadd']:>8}")
    print(f"  raw XREADGROUP+XACK, 1 proc   {rates['xreadgroup']:>8}   (reference)")
    print(f"  runtime, 1 worker             {rates['runtime_x1']:>8}   "
          f"x{ratios['runtime_x1']}")
    print(f"  runtime, 2 workers            {rates['runtime_x2']:>8}   "
          f"x{ratios['runtime_x2']}")
    raw, shop = delay["raw_xadd_to_xreadgroup"], delay["commit_to_handled"]
    print(f"delay ms          p50      p99   ({result['database']} for the shop's commits)")
    print(f"  raw XADD->read  {raw['p50']:>7}  {raw['p99']:>7}")
    print(f"  commit->handled {shop['p50']:>7}  {shop['p99']:>7}")
    return 0


if __name__ == "__main__":
    run_main(main)
