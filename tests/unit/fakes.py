"""In-memory fakes of the application's ports, faithful to their Protocols.

One `Store` plays the database: it holds what committed units of work
wrote, plus the outbox of committed events. A `FakeUnitOfWork` works on a
deep copy of it and writes back only the aggregates its repositories were
asked to write, and only on `commit`; leaving without a commit discards
everything, as a rolled-back transaction would. The read model and the cache
see committed state only.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from shop.application.analytics.ports import DaySales, ProductStock, ProductTotal
from shop.application.analytics.tracked_order import TrackedOrder
from shop.application.catalog.ports import CategoryRepository, ProductRepository
from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.application.customers.handlers import TokenPolicy
from shop.application.customers.ports import (
    CustomerRepository,
    PasswordResetRecord,
    PasswordResetTokenRepository,
    RefreshTokenRecord,
    RefreshTokenRepository,
)
from shop.application.customers.views import AccessToken, CustomerView
from shop.application.inventory.ports import StockRepository
from shop.application.inventory.views import StockView
from shop.application.messagebus import AfterCommitHook, MessageBus
from shop.application.notifications.ports import NotificationCriteria
from shop.application.ordering.ports import (
    Charge,
    IdempotencyRecord,
    IdempotencyRepository,
    OrderCriteria,
    OrderRepository,
)
from shop.application.ordering.views import OrderView
from shop.application.shared import Principal
from shop.application.wiring import EventHandlerTable, build_message_bus
from shop.domain.catalog.category import Category
from shop.domain.catalog.names import search_key
from shop.domain.catalog.product import Product
from shop.domain.customers.customer import Customer
from shop.domain.customers.errors import EmailTaken
from shop.domain.customers.values import EmailAddress
from shop.domain.inventory.stock import MAX_STOCK, Stock
from shop.domain.notifications.notification import Notification
from shop.domain.ordering.errors import PaymentDeclined, PaymentUnavailable
from shop.domain.ordering.order import Order, OrderStatus, PaymentStatus
from shop.domain.shared.errors import ConcurrentModification, Unauthenticated
from shop.domain.shared.events import DomainEvent, EventRecorder
from shop.domain.shared.money import Money

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- clocks


class FixedClock:
    """Always the same instant until told to move."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta = timedelta(seconds=1)) -> None:
        self.at += by


class SteppingClock:
    """Each reading is `step` later than the previous one, so creation order is visible."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = start
        self._step = step

    def now(self) -> datetime:
        current = self._next
        self._next += self._step
        return current


# --------------------------------------------------------------------------- storage


@dataclass
class Tables:
    """The rows. Removed products keep their row (orders refer to them)."""

    categories: dict[uuid.UUID, Category] = field(default_factory=dict)
    products: dict[uuid.UUID, Product] = field(default_factory=dict)
    removed_products: set[uuid.UUID] = field(default_factory=set)
    stock: dict[uuid.UUID, Stock] = field(default_factory=dict)
    customers: dict[uuid.UUID, Customer] = field(default_factory=dict)
    refresh_tokens: dict[uuid.UUID, RefreshTokenRecord] = field(default_factory=dict)
    password_resets: dict[uuid.UUID, PasswordResetRecord] = field(default_factory=dict)
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    idempotency: dict[tuple[uuid.UUID, str], IdempotencyRecord] = field(default_factory=dict)

    def live_products(self) -> list[Product]:
        return [p for p in self.products.values() if p.id not in self.removed_products]


class _CopyOnRead(dict[Any, Any]):
    """A transaction's view of one committed table: each row is copied on first touch.

    Committed rows are never changed in place (a commit writes copies), so this
    gives the same snapshot as copying the whole table when the transaction
    starts, at the cost of only the rows the transaction reads.
    """

    def __init__(self, committed: dict[Any, Any]) -> None:
        super().__init__(committed)
        self._own: set[Any] = set()

    def _mine(self, key: Any) -> Any:
        if key not in self._own:
            super().__setitem__(key, copy.deepcopy(super().__getitem__(key)))
            self._own.add(key)
        return super().__getitem__(key)

    def __getitem__(self, key: Any) -> Any:
        return self._mine(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._own.add(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._mine(key) if key in self else default

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self._mine(key) for key in list(self.keys())]

    def items(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        return [(key, self._mine(key)) for key in list(self.keys())]


def _snapshot(tables: Tables) -> Tables:
    """What one transaction sees: the committed tables, isolated from later commits."""
    columns: dict[str, Any] = {
        name: _CopyOnRead(value) if isinstance(value, dict) else set(value)
        for name, value in vars(tables).items()
    }
    return Tables(**columns)


@dataclass
class Store:
    """The fake database: committed tables and the outbox of committed events."""

    tables: Tables = field(default_factory=Tables)
    outbox: list[DomainEvent] = field(default_factory=list)
    commits: int = 0

    def parent_map(self) -> dict[uuid.UUID, uuid.UUID | None]:
        return {c.id: c.parent_id for c in self.tables.categories.values()}


# --------------------------------------------------------------------------- unit of work


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tables(self) -> Tables:
        return self._uow.working_tables()


class FakeCategoryRepository(_Repository):
    async def add(self, category: Category) -> None:
        assert category.id not in self._tables.categories, "duplicate primary key"
        self._tables.categories[category.id] = category
        self._uow.wrote("categories", category.id, category)

    async def get(self, category_id: uuid.UUID) -> Category | None:
        category = self._tables.categories.get(category_id)
        if category is not None:
            self._uow.saw(category)
        return category

    async def save(self, category: Category) -> None:
        assert category.id in self._tables.categories, "save of a category never added"
        self._tables.categories[category.id] = category
        self._uow.wrote("categories", category.id, category)

    async def remove(self, category: Category) -> None:
        self._tables.categories.pop(category.id, None)
        self._uow.wrote("categories", category.id, category)

    async def lineage(self, category_id: uuid.UUID) -> list[uuid.UUID]:
        chain: list[uuid.UUID] = []
        current: uuid.UUID | None = category_id
        while current is not None and current not in chain:
            chain.append(current)
            parent = self._tables.categories.get(current)
            current = parent.parent_id if parent is not None else None
        return chain

    async def has_children(self, category_id: uuid.UUID) -> bool:
        return any(c.parent_id == category_id for c in self._tables.categories.values())

    async def has_products(self, category_id: uuid.UUID) -> bool:
        return any(p.category_id == category_id for p in self._tables.live_products())


class FakeProductRepository(_Repository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self._loaded_versions: dict[uuid.UUID, int] = {}

    async def add(self, product: Product) -> None:
        assert product.id not in self._tables.products, "duplicate primary key"
        self._tables.products[product.id] = product
        self._uow.wrote("products", product.id, product)

    async def get(self, product_id: uuid.UUID) -> Product | None:
        product = self._tables.products.get(product_id)
        if product is None or product_id in self._tables.removed_products:
            return None
        self._loaded_versions[product_id] = product.version
        self._uow.saw(product)
        return product

    async def get_many(self, product_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Product]:
        found = {}
        for product_id in product_ids:
            product = await self.get(product_id)
            if product is not None:
                found[product_id] = product
        return found

    async def save(self, product: Product) -> None:
        self._check_not_changed_by_others(product)
        self._tables.products[product.id] = product
        self._uow.wrote("products", product.id, product)

    async def remove(self, product: Product) -> None:
        self._check_not_changed_by_others(product)
        self._tables.products[product.id] = product
        self._tables.removed_products.add(product.id)
        self._uow.wrote("products", product.id, product)

    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool:
        return any(p.sku == sku and p.id != other_than for p in self._tables.live_products())

    def _check_not_changed_by_others(self, product: Product) -> None:
        """Optimistic concurrency, as the SQL adapter does it: write over what we loaded."""
        loaded = self._loaded_versions.get(product.id)
        committed = self._uow.store.tables.products.get(product.id)
        if loaded is not None and committed is not None and committed.version != loaded:
            raise ConcurrentModification(f"product {product.id} was changed by someone else")


class FakeStockRepository(_Repository):
    async def add(self, stock: Stock) -> None:
        assert stock.product_id not in self._tables.stock, "duplicate primary key"
        self._tables.stock[stock.product_id] = stock
        self._uow.wrote("stock", stock.product_id, stock)

    async def get(self, product_id: uuid.UUID) -> Stock | None:
        stock = self._tables.stock.get(product_id)
        if stock is not None:
            self._uow.saw(stock)
        return stock

    async def apply_delta(self, product_id: uuid.UUID, delta: int, now: datetime) -> Stock | None:
        """The conditional update: `0 <= on_hand + delta <= MAX_STOCK` or nothing happens."""
        stock = self._tables.stock.get(product_id)
        if stock is None or not 0 <= stock.on_hand + delta <= MAX_STOCK:
            return None
        return self._store(stock, stock.on_hand + delta, now)

    async def apply_deltas(
        self, deltas: Mapping[uuid.UUID, int], now: datetime
    ) -> list[Stock] | None:
        """All or nothing, as the batched SQL statement does it."""
        ordered = sorted(deltas)
        for product_id in ordered:
            stock = self._tables.stock.get(product_id)
            if stock is None or not 0 <= stock.on_hand + deltas[product_id] <= MAX_STOCK:
                return None
        return [self._store(self._tables.stock[product_id],
                            self._tables.stock[product_id].on_hand + deltas[product_id], now)
                for product_id in ordered]

    async def set_level(
        self, product_id: uuid.UUID, on_hand: int, now: datetime
    ) -> tuple[Stock, int] | None:
        stock = self._tables.stock.get(product_id)
        if stock is None:
            return None
        return self._store(stock, on_hand, now), on_hand - stock.on_hand

    def _store(self, before: Stock, on_hand: int, now: datetime) -> Stock:
        """The row as the SQL update leaves it: a new version, handed back as a new Stock."""
        after = Stock(product_id=before.product_id, on_hand=on_hand, version=before.version + 1,
                      updated_at=now)
        self._tables.stock[before.product_id] = after
        self._uow.wrote("stock", before.product_id, after)
        return after


class FakeCustomerRepository(_Repository):
    async def add(self, customer: Customer) -> None:
        if any(c.email == customer.email for c in self._tables.customers.values()):
            raise EmailTaken()  # the unique index on the normalised email
        self._tables.customers[customer.id] = customer
        self._uow.wrote("customers", customer.id, customer)

    async def get(self, customer_id: uuid.UUID) -> Customer | None:
        customer = self._tables.customers.get(customer_id)
        if customer is not None:
            self._uow.saw(customer)
        return customer

    async def get_by_email(self, email: EmailAddress) -> Customer | None:
        for customer in self._tables.customers.values():
            if customer.email == email:
                self._uow.saw(customer)
                return customer
        return None

    async def save(self, customer: Customer) -> None:
        assert customer.id in self._tables.customers, "save of a customer never added"
        self._tables.customers[customer.id] = customer
        self._uow.wrote("customers", customer.id, customer)


class FakeRefreshTokenRepository(_Repository):
    async def add(self, record: RefreshTokenRecord) -> None:
        self._tables.refresh_tokens[record.id] = copy.copy(record)
        self._uow.wrote("refresh_tokens", record.id, None)

    async def find(self, token_hash: str) -> RefreshTokenRecord | None:
        for record in self._tables.refresh_tokens.values():
            if record.token_hash == token_hash:
                return copy.copy(record)  # a snapshot, as a selected row is
        return None

    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """The conditional update: only an unspent, unrevoked token can be spent."""
        record = self._tables.refresh_tokens.get(token_id)
        if record is None or record.used_at is not None or record.revoked_at is not None:
            return False
        record.used_at = now
        self._uow.wrote("refresh_tokens", token_id, None)
        return True

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        for record in self._tables.refresh_tokens.values():
            if record.family_id == family_id and record.revoked_at is None:
                record.revoked_at = now
                self._uow.wrote("refresh_tokens", record.id, None)

    async def revoke_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        for record in self._tables.refresh_tokens.values():
            if record.customer_id == customer_id and record.revoked_at is None:
                record.revoked_at = now
                self._uow.wrote("refresh_tokens", record.id, None)


class FakePasswordResetTokenRepository(_Repository):
    async def add(self, record: PasswordResetRecord) -> None:
        self._tables.password_resets[record.id] = copy.copy(record)
        self._uow.wrote("password_resets", record.id, None)

    async def find(self, token_hash: str) -> PasswordResetRecord | None:
        for record in self._tables.password_resets.values():
            if record.token_hash == token_hash:
                return copy.copy(record)
        return None

    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        record = self._tables.password_resets.get(token_id)
        if record is None or record.used_at is not None:
            return False
        record.used_at = now
        self._uow.wrote("password_resets", token_id, None)
        return True

    async def spend_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        for record in self._tables.password_resets.values():
            if record.customer_id == customer_id and record.used_at is None:
                record.used_at = now
                self._uow.wrote("password_resets", record.id, None)


class FakeOrderRepository(_Repository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self._loaded_versions: dict[uuid.UUID, int] = {}

    async def add(self, order: Order) -> None:
        assert order.id not in self._tables.orders, "duplicate primary key"
        self._tables.orders[order.id] = order
        self._uow.wrote("orders", order.id, order)

    async def get(self, order_id: uuid.UUID) -> Order | None:
        order = self._tables.orders.get(order_id)
        if order is not None:
            self._loaded_versions[order_id] = order.version
            self._uow.saw(order)
        return order

    def attach(self, order: Order) -> None:
        self._loaded_versions[order.id] = order.version

    async def save(self, order: Order) -> None:
        loaded = self._loaded_versions.get(order.id)
        committed = self._uow.store.tables.orders.get(order.id)
        if loaded is not None and committed is not None and committed.version != loaded:
            raise ConcurrentModification(f"order {order.id} was changed by someone else")
        self._tables.orders[order.id] = order
        self._uow.wrote("orders", order.id, order)

    async def pending_since(self, before: datetime, limit: int) -> Sequence[uuid.UUID]:
        pending = [
            o
            for o in self._tables.orders.values()
            if o.status is OrderStatus.PENDING and o.created_at < before
        ]
        pending.sort(key=lambda o: (o.created_at, o.id))
        return [o.id for o in pending[:limit]]

    async def awaiting_refund(self, limit: int) -> Sequence[uuid.UUID]:
        waiting = [o for o in self._tables.orders.values()
                   if o.payment_status is PaymentStatus.REFUND_PENDING]
        waiting.sort(key=lambda o: (o.updated_at, o.id))
        return [o.id for o in waiting[:limit]]


class FakeIdempotencyRepository(_Repository):
    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        key = (record.customer_id, record.key)
        earlier = self._tables.idempotency.get(key)
        if earlier is not None:
            return earlier
        self._tables.idempotency[key] = record
        self._uow.wrote("idempotency", key, None)
        return None

    async def find(self, customer_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        return self._tables.idempotency.get((customer_id, key))


class FakeUnitOfWork:
    """One transaction over a `Store`: a private copy, written back on commit."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Typed as the ports: the Protocol's attributes are settable, hence invariant.
        self.categories: CategoryRepository = FakeCategoryRepository(self)
        self.products: ProductRepository = FakeProductRepository(self)
        self.stock: StockRepository = FakeStockRepository(self)
        self.customers: CustomerRepository = FakeCustomerRepository(self)
        self.refresh_tokens: RefreshTokenRepository = FakeRefreshTokenRepository(self)
        self.password_resets: PasswordResetTokenRepository = FakePasswordResetTokenRepository(self)
        self.orders: OrderRepository = FakeOrderRepository(self)
        self.idempotency: IdempotencyRepository = FakeIdempotencyRepository(self)
        self._tables: Tables | None = None
        self._written: set[tuple[str, Hashable]] = set()
        self._seen: list[EventRecorder] = []
        self._committed: list[DomainEvent] = []
        self.committed = False
        self.rolled_back = False
        self.active = False
        self.transactions = 0

    # -- transaction

    async def __aenter__(self) -> Self:
        # Like the SQL adapter, one unit of work may run several transactions one
        # after the other (the ordering saga does), but never two at once.
        assert not self.active, "a unit of work runs one transaction at a time"
        self.active = True
        self.transactions += 1
        self._tables = _snapshot(self.store.tables)
        self._seen = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()
        self.active = False
        self._tables = None  # the connection is closed: repositories fail loudly now

    async def commit(self) -> None:
        tables = self.working_tables()
        events: list[DomainEvent] = []
        for aggregate in self._seen:
            events.extend(aggregate.pull_events())
        events.sort(key=lambda event: event.occurred_at)  # as the SQL unit of work orders them
        committed = self.store.tables
        for table, key in self._written:
            source: dict[Hashable, object] = getattr(tables, table)
            target: dict[Hashable, object] = getattr(committed, table)
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
            if isinstance(key, uuid.UUID) and key in tables.removed_products:
                committed.removed_products.add(key)
        self.store.outbox.extend(events)
        self.store.commits += 1
        self._committed.extend(events)
        self._written.clear()
        self.committed = True

    async def rollback(self) -> None:
        """Forget every uncommitted write and every event not yet committed."""
        if self._written:
            self.rolled_back = True
        for aggregate in self._seen:
            aggregate.pull_events()
        self._seen = []
        self._written.clear()
        if self._tables is not None:
            self._tables = _snapshot(self.store.tables)

    def committed_events(self) -> list[DomainEvent]:
        return list(self._committed)

    # -- used by the repositories

    def working_tables(self) -> Tables:
        assert self._tables is not None, "repositories are used inside `async with uow`"
        return self._tables

    def saw(self, aggregate: EventRecorder) -> None:
        if not any(seen is aggregate for seen in self._seen):
            self._seen.append(aggregate)

    def wrote(self, table: str, key: Hashable, aggregate: EventRecorder | None) -> None:
        if aggregate is not None:
            self.saw(aggregate)
        self._written.add((table, key))


class FakeUnitOfWorkFactory:
    """Every unit of work it makes shares one store, as connections share a database."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store if store is not None else Store()
        self.made: list[FakeUnitOfWork] = []

    def __call__(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store)
        self.made.append(uow)
        return uow


# --------------------------------------------------------------------------- cache


@dataclass(frozen=True)
class CacheEntry:
    product_version: int
    stock_version: int
    view: ProductView | None  # None: an invalidation marker


class FakeProductCache:
    """Versioned cache-aside store: never goes back to an older view."""

    def __init__(self) -> None:
        self.entries: dict[uuid.UUID, CacheEntry] = {}
        self.refused_puts: list[ProductView] = []
        self.listing_invalidations = 0

    async def get(self, product_id: uuid.UUID) -> ProductView | None:
        entry = self.entries.get(product_id)
        return None if entry is None else entry.view

    async def put(self, view: ProductView) -> None:
        entry = self.entries.get(view.id)
        if entry is not None and (
            entry.product_version > view.product_version or entry.stock_version > view.stock_version
        ):
            self.refused_puts.append(view)
            return
        self.entries[view.id] = CacheEntry(view.product_version, view.stock_version, view)

    async def invalidate(
        self,
        product_id: uuid.UUID,
        *,
        product_version: int = 0,
        stock_version: int = 0,
    ) -> None:
        entry = self.entries.get(product_id)
        known_pv, known_sv = (entry.product_version, entry.stock_version) if entry else (0, 0)
        self.entries[product_id] = CacheEntry(
            max(known_pv, product_version), max(known_sv, stock_version), None
        )

    async def invalidate_listings(self) -> None:
        self.listing_invalidations += 1


# --------------------------------------------------------------------------- read model


class FakeCatalogReadModel:
    """Answers queries from the committed tables, as the SQL read model does."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.product_reads = 0

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        self.product_reads += 1
        tables = self._store.tables
        product = tables.products.get(product_id)
        stock = tables.stock.get(product_id)
        if product is None or stock is None or product_id in tables.removed_products:
            return None
        return ProductView.of(product, stock)

    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]:
        tables = self._store.tables
        matching = [
            ProductView.of(p, tables.stock[p.id])
            for p in tables.live_products()
            if p.id in tables.stock and _matches(p, criteria)
        ]
        # Newest first; ties (same instant) by id, so pages never overlap.
        matching.sort(key=lambda v: v.id)
        matching.sort(key=lambda v: v.created_at, reverse=True)
        items = matching[page.offset : page.offset + page.limit]
        return PageOf(items=items, total=len(matching), limit=page.limit, offset=page.offset)

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        category = self._store.tables.categories.get(category_id)
        return None if category is None else CategoryView.of(category)

    async def categories(self, page: Page) -> PageOf[CategoryView]:
        ordered = sorted(self._store.tables.categories.values(), key=lambda c: (c.name, c.id))
        items = [CategoryView.of(c) for c in ordered[page.offset : page.offset + page.limit]]
        return PageOf(items=items, total=len(ordered), limit=page.limit, offset=page.offset)

    async def all_categories(self) -> Sequence[CategoryView]:
        return [CategoryView.of(c) for c in self._store.tables.categories.values()]


def _matches(product: Product, criteria: ProductFilter) -> bool:
    amount = product.price.amount
    return (
        (criteria.category_ids is None or product.category_id in criteria.category_ids)
        and (
            not criteria.name_contains
            or search_key(criteria.name_contains) in search_key(product.name)
        )
        and (criteria.min_price is None or amount >= criteria.min_price)
        and (criteria.max_price is None or amount <= criteria.max_price)
    )


# --------------------------------------------------------------------------- customers


class FakePasswordHasher:
    """A fast, transparent stand-in for Argon2: `scheme$reversed password`.

    Changing `scheme` makes every older hash "need a rehash", as a change of
    Argon2 parameters would.
    """

    def __init__(self, scheme: str = "v1") -> None:
        self.scheme = scheme
        self.verified: list[str | None] = []

    async def hash(self, password: str) -> str:
        return f"{self.scheme}${password[::-1]}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append(password_hash)  # unknown accounts are verified too (None)
        if password_hash is None:
            return False
        return password_hash.partition("$")[2] == password[::-1]

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"{self.scheme}$")


class FakeTokenService:
    """Access tokens are opaque counters it remembers; anything else is refused."""

    def __init__(self, expires_in: int = 900) -> None:
        self.expires_in = expires_in
        self._issued: dict[str, Principal] = {}

    def issue_access(self, principal: Principal) -> AccessToken:
        token = f"access-{len(self._issued) + 1}"
        self._issued[token] = principal
        return AccessToken(token=token, expires_in=self.expires_in)

    def read_access(self, token: str) -> Principal:
        principal = self._issued.get(token)
        if principal is None:
            raise Unauthenticated("the access token is invalid or expired")
        return principal


class FakeLoginThrottle:
    """Blocks a key after `max_failures` failures in a row, until a success clears it."""

    def __init__(self, max_failures: int = 5, block_seconds: int = 60) -> None:
        self.max_failures = max_failures
        self.block_seconds = block_seconds
        self.failures: Counter[str] = Counter()

    async def retry_after(self, keys: Sequence[str]) -> int | None:
        blocked = any(self.failures[key] >= self.max_failures for key in keys)
        return self.block_seconds if blocked else None

    async def failed(self, keys: Sequence[str]) -> None:
        self.failures.update(keys)

    async def succeeded(self, keys: Sequence[str]) -> None:
        for key in keys:
            del self.failures[key]


@dataclass(frozen=True)
class SentReset:
    customer_id: uuid.UUID
    email: str
    token: str
    expires_at: datetime


class FakePasswordResetNotifier:
    """Keeps every reset it was asked to send, token included, for the test to use."""

    def __init__(self) -> None:
        self.sent: list[SentReset] = []

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None:
        self.sent.append(SentReset(customer_id, email, token, expires_at))


class FakeAccountStatus:
    """Answers from the committed customers, and counts what it was told to forget."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.forgotten: list[uuid.UUID] = []

    async def is_active(self, customer_id: uuid.UUID) -> bool:
        customer = self._store.tables.customers.get(customer_id)
        return customer is not None and not customer.is_disabled

    def forget(self, customer_id: uuid.UUID) -> None:
        self.forgotten.append(customer_id)


class FakeCustomerReadModel:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def customer(self, customer_id: uuid.UUID) -> CustomerView | None:
        customer = self._store.tables.customers.get(customer_id)
        return None if customer is None else CustomerView.of(customer)

    async def customers(self, page: Page) -> PageOf[CustomerView]:
        ordered = sorted(self._store.tables.customers.values(), key=lambda c: c.id)
        ordered.sort(key=lambda c: c.created_at, reverse=True)
        items = [CustomerView.of(c) for c in ordered[page.offset : page.offset + page.limit]]
        return PageOf(items=items, total=len(ordered), limit=page.limit, offset=page.offset)


# --------------------------------------------------------------------------- ordering


APPROVED_TOKENS = frozenset({"tok_visa", "tok_mastercard"})
UNREACHABLE_TOKENS = frozenset({"tok_processingError"})


@dataclass(frozen=True)
class ChargeRecord:
    """A capture the processor made: the money is taken."""

    key: str
    reference: str
    amount: Money
    token: str


@dataclass(frozen=True)
class RefundRecord:
    key: str
    reference: str
    amount: Money


GatewayHook = Callable[[str], Awaitable[None]]


class FakePaymentGateway:
    """A card processor's test mode, in memory, idempotent by key.

    Tokens as the contract's fake gateway: `tok_visa` and `tok_mastercard` are
    captured, `tok_processingError` fails as an unreachable provider, anything
    else (`tok_chargeDeclined*` included) is declined. Switches make it
    misbehave the ways a network can:

    - `hang_before_capture`: the charge never answers and nothing is taken;
    - `hang_after_capture`: the money is taken, but the answer never comes;
    - `fail_after_capture`: the money is taken, but the answer is an error;
    - `find_charge_unreachable` / `refund_unreachable`: those calls fail.

    `charges` and `refunds` hold what really happened (by idempotency key);
    the `*_calls` lists every request, replays included. `on_charge` and
    `on_refund` run while a call is in flight, to interleave other commands
    with it deterministically.
    """

    def __init__(self) -> None:
        self.charges: dict[str, ChargeRecord] = {}
        self.refunds: dict[str, RefundRecord] = {}
        self.charge_calls: list[str] = []
        self.find_calls: list[str] = []
        self.refund_calls: list[str] = []
        self.hang_before_capture = False
        self.hang_after_capture = False
        self.fail_after_capture = False
        self.find_charge_unreachable = False
        self.refund_unreachable = False
        self.on_charge: GatewayHook | None = None
        self.on_refund: GatewayHook | None = None
        self._references = 0

    async def charge(self, *, idempotency_key: str, amount: Money, token: str) -> Charge:
        self.charge_calls.append(idempotency_key)
        if self.on_charge is not None:
            await self.on_charge(idempotency_key)
        earlier = self.charges.get(idempotency_key)
        if earlier is not None:
            return Charge(earlier.reference)
        if self.hang_before_capture:
            await _never()
        if token in UNREACHABLE_TOKENS:
            raise PaymentUnavailable("the payment provider could not process the charge")
        if token not in APPROVED_TOKENS or amount.is_negative:
            raise PaymentDeclined("the card was declined")
        self._references += 1
        record = ChargeRecord(idempotency_key, f"ch_test_{self._references:04d}", amount, token)
        self.charges[idempotency_key] = record
        if self.hang_after_capture:
            await _never()
        if self.fail_after_capture:
            raise PaymentUnavailable("the connection dropped before the processor answered")
        return Charge(record.reference)

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        self.find_calls.append(idempotency_key)
        if self.find_charge_unreachable:
            raise PaymentUnavailable("the payment provider does not answer")
        record = self.charges.get(idempotency_key)
        return None if record is None else Charge(record.reference)

    async def refund(self, *, idempotency_key: str, charge: Charge, amount: Money) -> None:
        self.refund_calls.append(idempotency_key)
        if self.on_refund is not None:
            await self.on_refund(idempotency_key)
        if self.refund_unreachable:
            raise PaymentUnavailable("the payment provider does not answer")
        if idempotency_key in self.refunds:
            return
        assert any(c.reference == charge.reference for c in self.charges.values()), (
            f"refund of a charge that was never made: {charge.reference}"
        )
        self.refunds[idempotency_key] = RefundRecord(idempotency_key, charge.reference, amount)

    # -- for assertions

    def charge_for(self, order_id: uuid.UUID) -> ChargeRecord | None:
        return self.charges.get(str(order_id))

    def refunds_of(self, order_id: uuid.UUID) -> list[RefundRecord]:
        """Refunds of the charge made for this order (the key is not assumed)."""
        charge = self.charge_for(order_id)
        if charge is None:
            return []
        return [r for r in self.refunds.values() if r.reference == charge.reference]


async def _never() -> None:
    """Wait for an answer that never comes (the caller's timeout cancels us)."""
    await asyncio.Event().wait()


class FakeOrderReadModel:
    """Answers order queries from the committed tables, newest first as the SQL one does."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def order(self, order_id: uuid.UUID) -> OrderView | None:
        order = self._store.tables.orders.get(order_id)
        return None if order is None else OrderView.of(order)

    async def orders(self, criteria: OrderCriteria, page: Page) -> PageOf[OrderView]:
        matching = [
            o
            for o in self._store.tables.orders.values()
            if (criteria.customer_id is None or o.customer_id == criteria.customer_id)
            and (criteria.status is None or o.status.value == criteria.status)
        ]
        matching.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        items = [OrderView.of(o) for o in matching[page.offset : page.offset + page.limit]]
        return PageOf(items=items, total=len(matching), limit=page.limit, offset=page.offset)


class FakeInventoryReadModel:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def stock(self, product_id: uuid.UUID) -> StockView | None:
        tables = self._store.tables
        stock = tables.stock.get(product_id)
        if stock is None or product_id not in tables.products or (
            product_id in tables.removed_products
        ):
            return None
        return StockView.of(stock)



# --------------------------------------------------------------------------- the whole thing


# --------------------------------------------------------------------------- analytics


class FakeNotificationReadModel:
    """No notifications: the NotificationService is a consumer, which the unit bus never runs.

    Its records are tested against SQL (tests/integration); this lets the bus be built.
    """

    async def notifications(self, criteria: NotificationCriteria,
                            page: Page) -> PageOf[Notification]:
        return PageOf(items=[], total=0, limit=page.limit, offset=page.offset)


class FakeAnalyticsReadModel:
    """Empty projections: no event consumer runs in the unit suite, so nothing is projected.

    The analytics handlers are tested with their own read models
    (tests/unit/test_sales_summary_cache.py); this one lets the bus be built.
    """

    async def sales_by_day(self, currency: str, first: date, last: date) -> list[DaySales]:
        return []

    async def status_counts(self, first: date, last: date) -> dict[str, int]:
        return {}

    async def product_totals(self, currency: str, first: date, last: date,
                             limit: int | None) -> list[ProductTotal]:
        return []

    async def orders_placed(self, start: datetime, end: datetime) -> list[TrackedOrder]:
        return []

    async def product_names(self, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        return {}

    async def low_stock(self, threshold: int, limit: int) -> list[ProductStock]:
        return []


# --------------------------------------------------------------------------- realtime


@dataclass
class RecordingNotifier:
    """A RealtimeNotifier that remembers every notice."""

    stock: list[tuple[uuid.UUID, int, datetime]] = field(default_factory=list)
    orders: list[tuple[uuid.UUID, uuid.UUID, str, datetime]] = field(default_factory=list)

    async def notify_stock_changed(self, product_id: uuid.UUID, stock: int,
                                   at: datetime) -> None:
        self.stock.append((product_id, stock, at))

    async def notify_order_status_changed(self, order_id: uuid.UUID, customer_id: uuid.UUID,
                                          status: str, at: datetime) -> None:
        self.orders.append((order_id, customer_id, status, at))


# --------------------------------------------------------------------------- the whole thing


@dataclass
class FakeShop:
    """The message bus wired to fakes, with the fakes at hand for assertions."""

    bus: MessageBus
    store: Store
    uow_factory: FakeUnitOfWorkFactory
    cache: FakeProductCache
    read_model: FakeCatalogReadModel
    customer_read_model: FakeCustomerReadModel
    password_hasher: FakePasswordHasher
    token_service: FakeTokenService
    login_throttle: FakeLoginThrottle
    clock: SteppingClock | FixedClock
    published: list[DomainEvent]
    gateway: FakePaymentGateway
    order_read_model: FakeOrderReadModel
    inventory_read_model: FakeInventoryReadModel
    reset_notifier: FakePasswordResetNotifier
    account_status: FakeAccountStatus
    notifier: RecordingNotifier


def build_fake_shop(
    *,
    clock: SteppingClock | FixedClock | None = None,
    read_model: FakeCatalogReadModel | None = None,
    store: Store | None = None,
    gateway: FakePaymentGateway | None = None,
    payment_timeout_seconds: float = 0.05,
    observers: EventHandlerTable | None = None,
    after_commit: Sequence[AfterCommitHook] = (),
) -> FakeShop:
    """Wire the real handlers to in-memory ports through the application's own wiring.

    `observers` and `after_commit` go to `build_message_bus` as the composition
    root's do: a test that wants to watch the bus says so when it is built.
    """
    uow_factory = FakeUnitOfWorkFactory(store)
    the_store = uow_factory.store
    cache = FakeProductCache()
    catalog_read_model = read_model or FakeCatalogReadModel(the_store)
    customer_read_model = FakeCustomerReadModel(the_store)
    hasher = FakePasswordHasher()
    tokens = FakeTokenService()
    throttle = FakeLoginThrottle()
    the_clock = clock or SteppingClock()
    the_gateway = gateway if gateway is not None else FakePaymentGateway()
    order_read_model = FakeOrderReadModel(the_store)
    inventory_read_model = FakeInventoryReadModel(the_store)
    reset_notifier = FakePasswordResetNotifier()
    account_status = FakeAccountStatus(the_store)
    notifier = RecordingNotifier()
    published: list[DomainEvent] = []

    async def remember(event: DomainEvent) -> None:
        published.append(event)

    bus = build_message_bus(
        uow_factory=uow_factory,
        catalog_read_model=catalog_read_model,
        product_cache=cache,
        customer_read_model=customer_read_model,
        password_hasher=hasher,
        token_service=tokens,
        login_throttle=throttle,
        token_policy=TokenPolicy(refresh_ttl=timedelta(days=30)),
        clock=the_clock,
        order_read_model=order_read_model,
        inventory_read_model=inventory_read_model,
        payment_gateway=the_gateway,
        payment_timeout_seconds=payment_timeout_seconds,
        analytics_read_model=FakeAnalyticsReadModel(),
        notification_read_model=FakeNotificationReadModel(),
        password_reset_notifier=reset_notifier,
        account_status=account_status,
        realtime_notifier=notifier,
        after_commit=after_commit,
        observers={**(observers or {}),
                   DomainEvent: [*(observers or {}).get(DomainEvent, ()), remember]},
    )
    return FakeShop(
        bus=bus,
        store=the_store,
        uow_factory=uow_factory,
        cache=cache,
        read_model=catalog_read_model,
        customer_read_model=customer_read_model,
        password_hasher=hasher,
        token_service=tokens,
        login_throttle=throttle,
        clock=the_clock,
        published=published,
        gateway=the_gateway,
        order_read_model=order_read_model,
        inventory_read_model=inventory_read_model,
        reset_notifier=reset_notifier,
        account_status=account_status,
        notifier=notifier,
    )
