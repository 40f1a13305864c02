"""The acceptance property: whatever customers, admins and the card processor do,
stock is never negative, every unit is accounted for, and money is never kept
for an order that did not go through.

A Hypothesis state machine drives the real handlers through the bus on the
in-memory fakes. It keeps a model of what should happen and checks every
command's outcome against it; after every step it checks the invariants
against the stored state, the gateway's record of charges and refunds, and
the stream of published StockChanged events.

The gateway misbehaves in every way a network can: declines, processing
errors, timeouts and errors after the money was taken, find_charge unreachable
(leaving orders Pending, charged or not, for the recovery step), and refunds
that fail and are retried by the recovery step.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shop.application.catalog.views import ProductView
from shop.application.inventory.commands import AdjustStock, SetStock
from shop.application.ordering import placing
from shop.application.ordering.commands import CancelOrder, SettlePendingOrders, ShipOrder
from shop.application.ordering.views import OrderView
from shop.application.shared import Principal
from shop.domain.catalog.errors import ProductNotFound
from shop.domain.customers.values import Role
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.inventory.events import StockChanged
from shop.domain.ordering.errors import (
    IdempotencyKeyReused,
    IllegalTransition,
    OrderNotFound,
    PaymentDeclined,
    PaymentUnavailable,
    UnknownProduct,
)
from shop.domain.ordering.order import OrderStatus, PaymentStatus
from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.money import Money

from .conftest import Shopfront
from .fakes import APPROVED_TOKENS, UNREACHABLE_TOKENS, build_fake_shop

T = TypeVar("T")

PENDING, PAID, SHIPPED, CANCELLED = (
    OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED)

TOKENS = ["tok_visa", "tok_visa", "tok_mastercard", "tok_chargeDeclined",
          "tok_chargeDeclinedInsufficientFunds", "tok_processingError", "tok_unknown"]
# How the gateway behaves during one order (see FakePaymentGateway's switches).
GATEWAY_MODES = ["normal", "normal", "fail_after_capture", "hang_after_capture",
                 "hang_before_capture", "find_unreachable", "hang_before_capture+find_unreachable",
                 # the money is taken but nobody can tell: the order stays Pending
                 "hang_after_capture+find_unreachable", "fail_after_capture+find_unreachable"]
PRICES = ["0.01", "0.10", "9.99", "10.00", "19.95", "123.45"]
PRODUCTS = 4
CUSTOMERS = 3
ORDER_REQUEST: dict[str, st.SearchStrategy[Any]] = {
    "customer": st.integers(0, CUSTOMERS - 1),
    "lines": st.lists(st.tuples(st.integers(0, PRODUCTS - 1), st.integers(1, 5)),
                      min_size=1, max_size=3, unique_by=lambda line: line[0]),
    "token": st.sampled_from(TOKENS),
    "mode": st.sampled_from(GATEWAY_MODES),
    "key": st.sampled_from([None, None, None, "k-1", "k-2"]),
}


@dataclass
class ModelOrder:
    id: uuid.UUID
    customer: uuid.UUID
    lines: dict[int, int]  # product index -> units
    total: Money
    status: OrderStatus
    payment: PaymentStatus
    charged: bool  # the processor took the money for it (whatever the order knows)


class Outcome(Exception):
    """What the model expects a failing command to raise."""


class OrderingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        # A tiny timeout keeps hanging charges cheap; answered calls never wait on it.
        self.front = Shopfront(build_fake_shop(payment_timeout_seconds=0.002))
        self.gateway = self.front.gateway
        self.customers = [uuid.uuid4() for _ in range(CUSTOMERS)]
        self.products: list[ProductView] = []
        self.prices: list[Money] = []
        self.initial: list[int] = []
        self.net_changes: list[int] = []  # adjustments and the deltas of sets
        self.discontinued: set[int] = set()
        self.orders: list[ModelOrder] = []
        self.claims: dict[tuple[uuid.UUID, str], tuple[str, ModelOrder]] = {}

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def teardown(self) -> None:
        self.loop.close()

    def expect(self, work: Awaitable[T],
               error: type[Exception] | tuple[type[Exception], ...] | None) -> T | None:
        """Run a command and check that it fails exactly as the model says (or not at all)."""
        if error is None:
            return self.run(work)
        with pytest.raises(error):
            self.run(work)
        return None

    # -- model helpers

    def stock(self, index: int) -> int:
        return self.front.stock_of(self.products[index])

    def reserved(self, index: int) -> int:
        return sum(o.lines.get(index, 0) for o in self.orders if o.status is not CANCELLED)

    def principal(self, who: str, order: ModelOrder) -> Principal:
        if who == "admin":
            return Principal(customer_id=uuid.uuid4(), role=Role.ADMIN)
        if who == "owner":
            return Principal(customer_id=order.customer, role=Role.CUSTOMER)
        stranger = next(c for c in self.customers if c != order.customer)
        return Principal(customer_id=stranger, role=Role.CUSTOMER)

    # -- rules

    @initialize(stocks=st.lists(st.integers(0, 30), min_size=PRODUCTS, max_size=PRODUCTS),
                prices=st.lists(st.sampled_from(PRICES), min_size=PRODUCTS, max_size=PRODUCTS))
    def open_the_shop(self, stocks: list[int], prices: list[str]) -> None:
        for level, price in zip(stocks, prices, strict=True):
            self.products.append(self.run(self.front.item(price, stock=level)))
            self.prices.append(Money.of(price))
            self.initial.append(level)
            self.net_changes.append(0)

    @rule(customer=ORDER_REQUEST["customer"], lines=ORDER_REQUEST["lines"],
          token=ORDER_REQUEST["token"], mode=ORDER_REQUEST["mode"], key=ORDER_REQUEST["key"])
    def place_an_order(self, customer: int, lines: list[tuple[int, int]], token: str,
                       mode: str, key: str | None) -> None:
        who = self.customers[customer]
        fingerprint = repr((sorted(lines), token))
        command = self.front.place_order(
            who, *((self.products[i], q) for i, q in lines), token=token, key=key,
            fingerprint=fingerprint)
        for switch in mode.split("+"):
            if switch != "normal":
                setattr(self.gateway, switch.replace("find_unreachable",
                                                     "find_charge_unreachable"), True)
        try:
            self._place(command, who, lines, token, mode, key, fingerprint)
        finally:
            g = self.gateway
            g.hang_before_capture = g.hang_after_capture = g.fail_after_capture = False
            g.find_charge_unreachable = False

    @rule(customer=ORDER_REQUEST["customer"], lines=ORDER_REQUEST["lines"],
          token=ORDER_REQUEST["token"], mode=ORDER_REQUEST["mode"], key=ORDER_REQUEST["key"])
    def place_another_order(self, customer: int, lines: list[tuple[int, int]], token: str,
                            mode: str, key: str | None) -> None:
        """The same rule again, so that orders are placed about twice as often as the rest."""
        self.place_an_order(customer, lines, token, mode, key)

    def _place(self, command: Any, who: uuid.UUID, lines: list[tuple[int, int]], token: str,
               mode: str, key: str | None, fingerprint: str) -> None:
        charges = len(self.gateway.charges)
        if key is not None and (who, key) in self.claims:
            claimed_with, earlier = self.claims[(who, key)]
            if claimed_with != fingerprint:
                self.expect(self.front.bus.handle(command), IdempotencyKeyReused)
            elif earlier.payment is PaymentStatus.DECLINED:
                self.expect(self.front.bus.handle(command), PaymentDeclined)
            elif earlier.payment is PaymentStatus.FAILED:
                self.expect(self.front.bus.handle(command), PaymentUnavailable)
            else:
                again = self.run(self.front.bus.handle(command))
                assert (again.id, again.status) == (earlier.id, earlier.status.value)
            assert len(self.gateway.charges) == charges, "a replay charged again"
            return

        # Lines are reserved in an order of the handler's choosing: when one is unknown
        # and another short, either refusal is right, as long as nothing moves.
        refusals: tuple[type[Exception], ...] = (
            *([UnknownProduct] if any(i in self.discontinued for i, _ in lines) else []),
            *([InsufficientStock] if any(i not in self.discontinued and self.stock(i) < q
                                         for i, q in lines) else []),
        )
        if refusals:
            self.expect(self.front.bus.handle(command), refusals)
            return

        hangs_first = "hang_before_capture" in mode
        find_fails = "find_unreachable" in mode
        answer_lost = "after_capture" in mode  # the money is taken, the answer never comes
        error: type[Exception] | None
        if not hangs_first and token in APPROVED_TOKENS and answer_lost and find_fails:
            expected, payment, error = PENDING, PaymentStatus.PENDING, PaymentUnavailable
        elif not hangs_first and token in APPROVED_TOKENS:
            expected, payment, error = PAID, PaymentStatus.CAPTURED, None
        elif not hangs_first and token not in UNREACHABLE_TOKENS:
            expected, payment, error = CANCELLED, PaymentStatus.DECLINED, PaymentDeclined
        elif find_fails:  # outcome unknown: left for the recovery step
            expected, payment, error = PENDING, PaymentStatus.PENDING, PaymentUnavailable
        else:
            expected, payment, error = CANCELLED, PaymentStatus.FAILED, PaymentUnavailable

        known = set(self.front.store.tables.orders)
        view: OrderView | None = self.expect(self.front.bus.handle(command), error)
        [order_id] = set(self.front.store.tables.orders) - known
        total = sum((self.prices[i] * q for i, q in lines), Money.zero())
        charged = expected is PAID or (
            expected is PENDING and not hangs_first and token in APPROVED_TOKENS)
        order = ModelOrder(id=order_id, customer=who, lines=dict(lines), total=total,
                           status=expected, payment=payment, charged=charged)
        self.orders.append(order)
        if key is not None:
            self.claims[(who, key)] = (fingerprint, order)
        if view is not None:
            assert view.id == order_id
            assert view.total == total.amount
            assert [(x.product_id, x.quantity) for x in view.lines] == [
                (self.products[i].id, q) for i, q in lines]
        assert len(self.gateway.charges) == charges + charged

    def pick(self, pick: int, among: tuple[OrderStatus, ...] | None) -> ModelOrder:
        """An order: one of those in the given statuses when there is one, else any."""
        chosen = [o for o in self.orders if among is None or o.status in among] or self.orders
        return chosen[pick % len(chosen)]

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10**6), who=st.sampled_from(["owner", "admin"] * 2 + ["stranger"]),
          among=st.sampled_from([(PAID,), (PENDING, PAID), None]),
          outage=st.sampled_from([None, None, None, "refunds", "everything"]))
    def cancel_an_order(self, pick: int, who: str, among: tuple[OrderStatus, ...] | None,
                        outage: str | None) -> None:
        order = self.pick(pick, among)
        command = CancelOrder(order_id=order.id, principal=self.principal(who, order))
        self.gateway.refund_unreachable = outage is not None
        self.gateway.find_charge_unreachable = outage == "everything"
        try:
            if who == "stranger":
                self.expect(self.front.bus.handle(command), OrderNotFound)
            elif order.status in (SHIPPED, CANCELLED):
                self.expect(self.front.bus.handle(command), IllegalTransition)
            elif order.status is PENDING and outage == "everything":
                # Whether it was paid cannot be known: it is not cancelled blindly.
                self.expect(self.front.bus.handle(command), PaymentUnavailable)
            else:
                view = self.run(self.front.bus.handle(command))
                assert view.status == "Cancelled"
                if order.charged:  # Paid, or Pending with the money taken: it goes back
                    order.payment = (PaymentStatus.REFUNDED if outage is None
                                     else PaymentStatus.REFUND_PENDING)
                    assert view.payment.status == order.payment.value
                order.status = CANCELLED
        finally:
            self.gateway.refund_unreachable = self.gateway.find_charge_unreachable = False

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10**6), among=st.sampled_from([(PAID,), (PENDING,)]))
    def cancel_an_order_while_refunds_fail(self, pick: int,
                                           among: tuple[OrderStatus, ...]) -> None:
        """The refund is left pending; the recovery step must return the money later."""
        self.cancel_an_order(pick, "admin", among, "refunds")

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10**6), among=st.sampled_from([(PAID,), None, None]))
    def ship_an_order(self, pick: int, among: tuple[OrderStatus, ...] | None) -> None:
        order = self.pick(pick, among)
        command = ShipOrder(order_id=order.id)
        if order.status is not PAID:
            self.expect(self.front.bus.handle(command), IllegalTransition)
            return
        assert self.run(self.front.bus.handle(command)).status == "Shipped"
        order.status = SHIPPED

    @rule(index=st.integers(0, PRODUCTS - 1), delta=st.integers(-20, 20))
    def adjust_stock(self, index: int, delta: int) -> None:
        command = AdjustStock(product_id=self.products[index].id, delta=delta, reason="count")
        if delta == 0:
            self.expect(self.front.bus.handle(command), InvalidValue)
        elif index in self.discontinued:
            self.expect(self.front.bus.handle(command), ProductNotFound)
        elif self.stock(index) + delta < 0:
            self.expect(self.front.bus.handle(command), InsufficientStock)
        else:
            before = self.stock(index)
            assert self.run(self.front.bus.handle(command)).stock == before + delta
            self.net_changes[index] += delta

    @rule(index=st.integers(0, PRODUCTS - 1), level=st.integers(0, 25))
    def set_stock(self, index: int, level: int) -> None:
        command = SetStock(product_id=self.products[index].id, stock=level)
        if index in self.discontinued:
            self.expect(self.front.bus.handle(command), ProductNotFound)
            return
        before = self.stock(index)
        assert self.run(self.front.bus.handle(command)).stock == level
        self.net_changes[index] += level - before

    @rule(gateway_down=st.booleans())
    def settle_pending_orders(self, gateway_down: bool) -> None:
        self.gateway.find_charge_unreachable = self.gateway.refund_unreachable = gateway_down
        try:
            settled = self.run(self.front.bus.handle(SettlePendingOrders(older_than_seconds=0)))
        finally:
            self.gateway.find_charge_unreachable = self.gateway.refund_unreachable = False
        if gateway_down:
            assert settled == 0
            return
        pending = [o for o in self.orders if o.status is PENDING]
        refunding = [o for o in self.orders if o.payment is PaymentStatus.REFUND_PENDING]
        assert settled == len(pending) + len(refunding)
        for order in pending:
            if order.charged:
                order.status, order.payment = PAID, PaymentStatus.CAPTURED
            else:
                order.status, order.payment = CANCELLED, PaymentStatus.FAILED
        for order in refunding:
            order.payment = PaymentStatus.REFUNDED

    @precondition(lambda self: not self.discontinued)
    @rule(index=st.integers(0, PRODUCTS - 1), now=st.sampled_from([False, False, False, True]))
    def discontinue_a_product(self, index: int, now: bool) -> None:
        """Rarely, one product leaves the catalog; orders holding it keep its units."""
        if not now:
            return
        self.run(self.front.discontinue(self.products[index]))
        self.discontinued.add(index)

    # -- invariants

    @invariant()
    def stock_is_never_negative(self) -> None:
        for index in range(len(self.products)):
            assert self.stock(index) >= 0

    @invariant()
    def every_unit_is_accounted_for(self) -> None:
        for index in range(len(self.products)):
            assert self.stock(index) == (
                self.initial[index] + self.net_changes[index] - self.reserved(index)
            ), f"product {index}"

    @invariant()
    def every_stock_change_was_published(self) -> None:
        deltas: Counter[uuid.UUID] = Counter()
        last: dict[uuid.UUID, int] = {}
        for event in self.front.published:
            if isinstance(event, StockChanged):
                deltas[event.product_id] += event.delta
                last[event.product_id] = event.stock
        for product in self.products:
            assert deltas[product.id] == self.front.stock_of(product)
            assert last.get(product.id, 0) == self.front.stock_of(product)

    @invariant()
    def orders_are_as_the_model_says(self) -> None:
        stored = self.front.store.tables.orders
        assert set(stored) == {o.id for o in self.orders}, "an order was kept or lost"
        for order in self.orders:
            kept = stored[order.id]
            assert (kept.status, kept.payment_status) == (order.status, order.payment)
            assert kept.total == order.total
            assert {line.product_id: line.quantity for line in kept.lines} == {
                self.products[i].id: q for i, q in order.lines.items()}

    @invariant()
    def no_money_is_kept_without_an_order_that_went_through(self) -> None:
        stored = self.front.store.tables.orders
        for key, charge in self.gateway.charges.items():
            order = stored.get(uuid.UUID(key))
            assert order is not None, "a charge without an order"
            assert charge.amount == order.total
            refunds = self.gateway.refunds_of(order.id)
            if order.status is PENDING:  # outcome unknown yet: the recovery step decides
                assert refunds == []
            elif order.status in (PAID, SHIPPED):
                assert refunds == []
                assert order.payment_reference == charge.reference
            elif order.payment_status is PaymentStatus.REFUND_PENDING:
                assert order.status is CANCELLED
                assert refunds == []
                assert order.payment_reference == charge.reference, "the refund can be retried"
            else:
                assert order.status is CANCELLED
                assert order.payment_status is PaymentStatus.REFUNDED
                assert order.payment_reference == charge.reference
                assert [r.amount for r in refunds] == [order.total], "refunded once, in full"

    @invariant()
    def refunds_are_only_for_cancelled_paid_orders(self) -> None:
        stored = self.front.store.tables.orders
        by_reference = {c.reference: c for c in self.gateway.charges.values()}
        for refund in self.gateway.refunds.values():
            charge = by_reference[refund.reference]
            kept = stored[uuid.UUID(charge.key)]
            assert kept.status is CANCELLED
            assert next(o for o in self.orders if o.id == kept.id).charged
        for order in self.orders:
            if order.charged and order.status is CANCELLED:
                refunds = len(self.gateway.refunds_of(order.id))
                assert refunds == (order.payment is PaymentStatus.REFUNDED), "refunded once"


SETTINGS = settings(max_examples=75, stateful_step_count=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow], database=None)


@pytest.fixture(autouse=True)
def _replays_do_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replayed order still Pending is answered at once instead of after a wait."""
    monkeypatch.setattr(placing, "IDEMPOTENT_REPLAY_WAIT_SECONDS", 0.0)


def test_stock_and_money_always_add_up() -> None:
    run_state_machine_as_test(OrderingMachine, settings=SETTINGS)  # type: ignore[no-untyped-call]
