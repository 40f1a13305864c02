"""What both consumer runtimes share: their knobs, and one handled delivery, counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry.trace import SpanKind, Tracer

from shop.application.consumers import EventConsumer, ReceivedEvent
from shop.infrastructure.observability.metrics import (
    EVENT_HANDLED_DELAY_SECONDS,
    EVENTS_CONSUMED,
    EVENTS_FAILED,
)
from shop.infrastructure.observability.tracing import continued_span
from shop.settings import Settings

ERROR_TEXT_LIMIT = 500
"""A dead letter keeps this much of the error: enough to read, bounded in size."""


@dataclass(frozen=True)
class ConsumerPolicy:
    """How events are fed to consumers and how long a failing one is retried."""

    max_deliveries: int = 5
    """Handler calls per event before it goes to the dead letters (the retry budget)."""
    batch_size: int = 50
    block_seconds: float = 2.0
    """Redis: how long one `XREADGROUP` waits for new entries (below the socket timeout)."""
    claim_idle_seconds: float = 30.0
    """Redis: an entry pending this long (its consumer crashed or failed) is claimed and
    retried; also the pause between two attempts of a failing handler."""
    retry_seconds: float = 0.5
    """Embedded: the first pause before retrying a failing handler; doubles each time."""
    poll_seconds: float = 1.0
    """Embedded: how often the outbox is read when no commit woke the consumers."""

    @classmethod
    def of(cls, settings: Settings) -> ConsumerPolicy:
        return cls(
            max_deliveries=settings.consumer_max_deliveries,
            batch_size=settings.consumer_batch_size,
            block_seconds=settings.consumer_block_seconds,
            claim_idle_seconds=settings.consumer_claim_idle_seconds,
            retry_seconds=settings.consumer_retry_seconds,
            poll_seconds=settings.consumer_poll_seconds,
        )


def describe(error: BaseException) -> str:
    """The readable reason a dead letter keeps (the type and message, no traceback)."""
    return f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT]


async def handle_counted(consumer: EventConsumer, event: ReceivedEvent, *,
                         tracer: Tracer | None = None, traceparent: str = "") -> None:
    """Run the consumer's handler and count how it went; its exception propagates.

    With tracing on, the handler runs in a CONSUMER span continuing the trace of the
    request that caused the event (its `traceparent`, from the outbox row or entry).
    """
    if tracer is None:
        await _handle_counted(consumer, event)
        return
    with continued_span(tracer, f"consume {event.type}", traceparent or None,
                        kind=SpanKind.CONSUMER,
                        attributes={"shop.consumer": consumer.name,
                                    "messaging.message.id": str(event.event_id)}):
        await _handle_counted(consumer, event)


async def _handle_counted(consumer: EventConsumer, event: ReceivedEvent) -> None:
    try:
        await consumer.handle(event)
    except Exception:
        EVENTS_FAILED.labels(consumer.name).inc()
        raise
    EVENTS_CONSUMED.labels(consumer.name).inc()
    delay = (datetime.now(UTC) - event.occurred_at).total_seconds()
    EVENT_HANDLED_DELAY_SECONDS.labels(consumer.name).observe(max(0.0, delay))
