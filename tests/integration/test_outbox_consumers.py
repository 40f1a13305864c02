"""The embedded consumer runtime: consumers fed in-process from the outbox, after commit,
in commit order, surviving a restart, dead-lettering what keeps failing."""

from __future__ import annotations

import asyncio

import pytest

from shop.application.catalog.commands import CreateCategory
from shop.bootstrap import ShopRuntime
from shop.infrastructure.events.dead_letters import DeadLetter, replay_dead_letter
from shop.infrastructure.events.outbox_consumers import OutboxConsumerRuntime
from shop.interfaces.cli import main
from shop.settings import Settings
from tests.support.consumers import (
    RecordingConsumer,
    eventually,
    kept_letters,
    runtime_with_consumers,
)

CREATED = frozenset({"CategoryCreated"})


@pytest.fixture
def settings(database_settings: Settings) -> Settings:
    return database_settings.with_overrides(
        migrate_on_start=True, consumer_retry_seconds=0.01, consumer_max_deliveries=3,
        outbox_poll_seconds=0.05, log_level="WARNING")


async def create_categories(runtime: ShopRuntime, *names: str) -> list[str]:
    return [str((await runtime.bus.handle(CreateCategory(name=name))).id) for name in names]


async def test_committed_events_reach_the_consumers_in_commit_order(settings: Settings) -> None:
    watcher = RecordingConsumer("catalog-watcher", CREATED)
    runtime = runtime_with_consumers(settings, watcher)
    assert isinstance(runtime.consumers, OutboxConsumerRuntime)
    await runtime.start()
    try:
        ids = await create_categories(runtime, "Shoes", "Hats", "Bags")
        await eventually(lambda: len(watcher.handled) == 3, "three categories consumed")
    finally:
        await runtime.stop()
    assert [event.data["category_id"] for event in watcher.handled] == ids
    assert [event.data["name"] for event in watcher.handled] == ["Shoes", "Hats", "Bags"]


async def test_what_was_committed_while_the_consumer_was_not_running_is_consumed_at_start(
    settings: Settings,
) -> None:
    first_run = runtime_with_consumers(settings, RecordingConsumer("catalog-watcher", CREATED))
    await first_run.start()  # the consumer's position is recorded
    await first_run.stop()

    without_it = runtime_with_consumers(settings)
    await without_it.start()
    ids = await create_categories(without_it, "Shoes", "Hats")
    await without_it.stop()

    watcher = RecordingConsumer("catalog-watcher", CREATED)
    restarted = runtime_with_consumers(settings, watcher)
    await restarted.start()
    try:
        await eventually(lambda: len(watcher.handled) == 2, "the missed events consumed")
        more = await create_categories(restarted, "Bags")
        await eventually(lambda: len(watcher.handled) == 3, "and the new one")
    finally:
        await restarted.stop()
    assert [event.data["category_id"] for event in watcher.handled] == ids + more


async def test_a_consumer_that_keeps_failing_leaves_a_dead_letter_and_the_others_go_on(
    settings: Settings,
) -> None:
    failing = RecordingConsumer("mailer", CREATED, always_fail=True)
    healthy = RecordingConsumer("catalog-watcher", CREATED)
    runtime = runtime_with_consumers(settings, failing, healthy)
    await runtime.start()
    try:
        [category_id] = await create_categories(runtime, "Shoes")
        await eventually(lambda: len(healthy.handled) == 1, "the healthy consumer went on")
        dead = runtime.container.dead_letters()
        [letter] = await kept_letters(dead)
        assert letter.consumer == "mailer"
        assert letter.deliveries == 3
        assert letter.error == "RuntimeError: the mail server said no"
        assert failing.calls == 3

        failing.always_fail = False
        await replay_dead_letter(dead, [failing, healthy], letter.id)
        assert [event.data["category_id"] for event in failing.handled] == [category_id]
        assert await dead.oldest(10) == []
        assert len(healthy.handled) == 1  # a replay goes to the letter's consumer only
    finally:
        await runtime.stop()


def test_the_cli_lists_dead_letters_and_refuses_an_unknown_one(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOP_DATA_DIR", str(sqlite_settings.data_dir))
    settings = sqlite_settings.with_overrides(consumer_retry_seconds=0.01,
                                              consumer_max_deliveries=2)

    async def leave_a_dead_letter() -> DeadLetter:
        runtime = runtime_with_consumers(
            settings, RecordingConsumer("mailer", CREATED, always_fail=True))
        await runtime.start()
        try:
            await create_categories(runtime, "Shoes")
            [letter] = await kept_letters(runtime.container.dead_letters())
        finally:
            await runtime.stop()
        return letter

    letter = asyncio.run(leave_a_dead_letter())

    assert main(["events", "dead-letters"]) == 0
    listed = capsys.readouterr().out
    assert letter.id in listed and "mailer" in listed and "CategoryCreated" in listed
    assert "RuntimeError: the mail server said no" in listed

    assert main(["events", "replay", "999999"]) == 2
    assert "no dead letter" in capsys.readouterr().err
