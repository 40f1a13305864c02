"""The one settings object. Read from `SHOP_*` environment variables by the composition root.

Library users may build `Settings(...)` directly; nothing else in the package
reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "SHOP_"

DEFAULT_DATABASE_CONNECTIONS = 10
"""The connections a shop keeps to its database when `database_pool_size` is unset: a
few per database core, wherever the workers are (see `database_pool_size_per_worker`)."""
MIN_CONNECTIONS_PER_WORKER = 2
"""However many workers share the default: one connection would make every request of
a worker wait behind its outbox relay's pass."""


def _default_data_dir() -> Path:
    return Path("var")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every knob of a shop process, with the embedded defaults.

    With nothing set, the shop runs on an SQLite file under `data_dir` with
    in-process cache and events; `redis_url` switches cache, events and
    realtime feeds to Redis; `database_url` picks SQLite, PostgreSQL or SQL Server.
    """

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str | None = None
    """SQLAlchemy URL; unset: `sqlite+aiosqlite:///<data_dir>/shop.db`."""
    database_pool_size: int | None = None
    """Connections one worker process keeps open at most (PostgreSQL, SQL Server); a
    request that finds them all busy waits its turn (up to 30 s, then a 503). Unset:
    `DEFAULT_DATABASE_CONNECTIONS` for one process, which `shop serve --workers N`
    shares among its workers (`database_pool_size_per_worker`). More connections than
    the database can run at once only queue inside it, on its row locks and its CPU:
    with two workers on a 2-core machine, 20 each doubled a flash sale's p99 against
    10, and 5 each placed more orders than 10 each (bench/README.md)."""
    database_echo: bool = False
    migrate_on_start: bool | None = None
    """Run migrations when the app starts; unset: only for SQLite (the embedded default)."""

    redis_url: str | None = None
    redis_prefix: str = "shop:"
    """Prefix of every Redis key and channel the shop owns (cache, locks, feeds)."""
    redis_max_connections: int = 64
    events_stream: str = "shop:events"
    cache_ttl_seconds: int = 300
    near_cache_seconds: float = 5.0
    """How long each process keeps list pages, and with Redis hot product views, in memory
    (0 turns it off); every write drops what it changed at once either way."""

    outbox_poll_seconds: float = 0.5
    outbox_batch_size: int = 200

    consumer_max_deliveries: int = 5
    """Deliveries of one event to a failing consumer before it becomes a dead letter."""
    consumer_claim_idle_seconds: float = 30.0
    """With Redis: an event left pending this long (its worker died, or its handler failed)
    is claimed by another worker and retried."""
    consumer_batch_size: int = 50
    consumer_block_seconds: float = 2.0
    """With Redis: how long one read of the stream waits for new events."""
    consumer_retry_seconds: float = 0.5
    """Embedded: the first pause before a failing consumer is retried (it doubles)."""
    consumer_poll_seconds: float = 1.0
    """Embedded: how often consumers look for events committed by another process."""

    smtp_url: str | None = None
    """`smtp://user:pass@host:587?starttls=true` (or `smtps://`); unset: emails are written
    as `.eml` files into `<data_dir>/mail`."""
    mail_from: str = "shop@localhost"
    """The From address of every email the shop sends."""
    mail_max_attempts: int = 3
    """Attempts to hand one email to the SMTP server before its notification is `failed`."""
    mail_retry_seconds: float = 1.0
    """Pause after the first failed attempt; it doubles after each one."""
    mail_timeout_seconds: float = 30.0

    jwt_secret: str | None = None
    """HS256 signing secret (>= 32 chars); unset: generated once per data directory."""
    jwt_algorithm: str = "HS256"
    jwt_private_key_file: str | None = None
    """RS256: PEM private key used to sign."""
    jwt_public_key_file: str | None = None
    """RS256: PEM public key used to verify."""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    account_status_cache_seconds: float = 5.0
    """How long a process trusts its last look at an account's status: a disabled
    account's access tokens (and open `/ws/orders` feeds) stop working at most this
    long after it was disabled."""
    login_window_seconds: int = 900
    login_max_failures_per_account: int = 5
    login_max_failures_per_client: int = 50
    admin_email: str | None = None
    admin_password: str | None = None
    payment_gateway: str = "fake"
    """The card processor; `fake` (the default) behaves like a processor's test mode."""
    payment_timeout_seconds: float = 10.0

    ws_max_subscriptions: int = 100
    """Products one `/ws/inventory` connection may follow at once."""
    ws_send_queue_size: int = 256
    """Messages waiting for one websocket client; when full the client is closed (1013)."""
    ws_heartbeat_seconds: float = 20.0
    """Server ping interval; a client silent for a whole interval after a ping is closed
    (4408). 0 turns pings off."""

    low_stock_threshold: int = 5
    """A product with this many units or fewer is low on stock (analytics); admins are
    emailed when a product's stock falls from above it to at or below it."""
    analytics_cache_seconds: float = 0.5
    """How long one process reuses an analytics summary per window (0 turns it off)."""
    cors_origins: str = ""
    """Comma-separated origins whose browsers may call the API (`https://shop.example`);
    none by default. `*` allows any origin (credentials are never allowed)."""
    ai_enabled: bool = True
    """Semantic search, recommendations, category suggestions, forecasts; false: they answer
    503 problems and no model is loaded."""
    embedding_model: str | None = None
    """A folder with your own `model.onnx` and `tokenizer.json`; unset: the bundled
    all-MiniLM-L6-v2 (int8)."""
    embedding_model_id: str | None = None
    """Stored with every vector; unset: `custom:<folder name>` for your own model."""
    embedding_model_sha256: str | None = None
    """Pins your own `model.onnx`: a different file is refused at load."""
    ai_index_refresh_seconds: float = 1.0
    """How often each process copies embeddings other processes stored into its index."""

    log_level: str = "INFO"
    log_format: str = "json"
    """`json` for machines, `console` for humans."""
    access_log: bool = True
    """One log line per HTTP request (method, route, status, duration, ids)."""
    metrics_enabled: bool = True
    metrics_dir: Path | None = None
    """Where the processes of one `shop serve` keep their metric values so that `/metrics`
    adds them up (prometheus_client's multiprocess mode); `shop serve` empties it at start,
    and uses a fresh temporary directory when unset."""
    slow_query_ms: float = 200.0
    """SQL statements slower than this are logged (shape and duration) and counted."""
    memory_warn_mb: int = 1024
    """Resident memory above this logs a warning and counts it; 0 turns the check off."""
    otel_exporter: str = "none"
    """Tracing: `none` (off, the default), `otlp` (to `OTEL_EXPORTER_OTLP_ENDPOINT`, OTLP
    over HTTP) or `console` (spans printed on stdout, for local debugging)."""

    def __post_init__(self) -> None:
        if self.database_pool_size is not None and self.database_pool_size < 1:
            # SQLAlchemy reads a pool size of 0 as "no limit": never what was meant.
            raise ValueError(f"{ENV_PREFIX}DATABASE_POOL_SIZE must be at least 1, not "
                             f"{self.database_pool_size}")

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def database_pool_size_per_worker(self, workers: int = 1) -> int:
        """The pool of each of `workers` processes: the setting, or a share of the default.

        What the database can run at once does not grow with the shop's workers, so
        by default they share `DEFAULT_DATABASE_CONNECTIONS` instead of each opening
        that many (at least `MIN_CONNECTIONS_PER_WORKER` each). A size that is set
        is each worker's own, whatever their number.
        """
        if self.database_pool_size is not None:
            return self.database_pool_size
        return max(MIN_CONNECTIONS_PER_WORKER, DEFAULT_DATABASE_CONNECTIONS // workers)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'shop.db').as_posix()}"

    @property
    def mail_dir(self) -> Path:
        """Where emails are written when no SMTP server is configured."""
        return self.data_dir / "mail"

    @property
    def is_embedded_database(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def should_migrate_on_start(self) -> bool:
        if self.migrate_on_start is None:
            return self.is_embedded_database
        return self.migrate_on_start

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `SHOP_<FIELD>` variables; unknown `SHOP_*` names are ignored."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, str(f.type), raw)
        values.update(overrides)
        return cls(**values)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse(name: str, type_text: str, raw: str) -> Any:
    if "bool" in type_text:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
    if type_text.startswith("int"):
        return _number(int, "an integer", name, raw)
    if type_text.startswith("float"):
        return _number(float, "a number", name, raw)
    if type_text.startswith("Path"):
        return Path(raw)
    return raw


def _number(kind: type[int] | type[float], described: str, name: str, raw: str) -> int | float:
    """`kind(raw)`, or a ValueError that names the variable (the CLI prints it as is)."""
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()} must be {described}, not {raw!r}") from None
