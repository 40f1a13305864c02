"""Recommendations from known baskets: lift ranks, similar tops up, nothing unbuyable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shop.application.ai.purchases import Basket, CoPurchaseProjection
from shop.application.ai.queries import RecommendForCustomer, RecommendForProduct
from shop.application.ai.recommendations import (
    RecommendForCustomerHandler,
    RecommendForProductHandler,
)
from shop.application.ai.views import Reason
from shop.application.consumers import ReceivedEvent
from shop.domain.catalog.errors import ProductNotFound
from tests.unit.ai_fakes import (
    T0,
    Catalogue,
    InMemoryCoPurchaseStore,
    InMemoryProductViews,
    InMemoryVectorIndex,
    hashed_vector,
)


class Shop:
    def __init__(self) -> None:
        self.catalogue = Catalogue()
        self.store = InMemoryCoPurchaseStore()
        self.index = InMemoryVectorIndex()
        views = InMemoryProductViews(self.catalogue)
        self.for_product = RecommendForProductHandler(self.store, self.index, views)
        self.for_customer = RecommendForCustomerHandler(self.store, self.index, views)
        self.ids: dict[str, uuid.UUID] = {}
        self._orders = 0

    def product(self, name: str, stock: int = 5) -> None:
        view = self.catalogue.add(name, stock=stock)
        self.ids[name] = view.id
        self.index.upsert(view.id, hashed_vector(name))

    async def basket(self, *names: str, customer: uuid.UUID | None = None) -> uuid.UUID:
        self._orders += 1
        order_id = uuid.uuid4()
        await self.store.add_basket(uuid.uuid4(), Basket(
            order_id=order_id, customer_id=customer or uuid.uuid4(),
            paid_at=T0 + timedelta(minutes=self._orders),
            quantities={self.ids[name]: 1 for name in names}))
        return order_id

    def names(self, recommendations: list) -> list[tuple[str, Reason]]:  # type: ignore[type-arg]
        by_id = {pid: name for name, pid in self.ids.items()}
        return [(by_id[r.product.id], r.reason) for r in recommendations]


@pytest.fixture
def shop() -> Shop:
    shop = Shop()
    for name in ("tent", "tent pegs", "sleeping bag", "milk", "camping stove", "tent lamp",
                 "garden tent"):
        shop.product(name)
    return shop


async def test_lift_ranks_a_true_companion_above_a_best_seller(shop: Shop) -> None:
    """Milk is in every basket; pegs are in few, but always with the tent."""
    await shop.basket("tent", "tent pegs", "milk")
    await shop.basket("tent", "tent pegs", "milk")
    await shop.basket("tent", "sleeping bag", "milk")
    for _ in range(5):
        await shop.basket("milk")
    together = await shop.for_product(RecommendForProduct(product_id=shop.ids["tent"],
                                                          limit=3))
    assert shop.names(together) == [("tent pegs", Reason.BOUGHT_TOGETHER),
                                    ("sleeping bag", Reason.BOUGHT_TOGETHER),
                                    ("milk", Reason.BOUGHT_TOGETHER)]
    assert together[0].score == pytest.approx(2 * 8 / (3 * 2))
    assert together[2].score == pytest.approx(1.0)  # milk: no more than chance


async def test_thin_history_is_topped_up_with_similar_products(shop: Shop) -> None:
    await shop.basket("tent", "tent pegs")
    recommendations = await shop.for_product(RecommendForProduct(product_id=shop.ids["tent"],
                                                                 limit=3))
    assert shop.names(recommendations)[0] == ("tent pegs", Reason.BOUGHT_TOGETHER)
    assert [reason for _, reason in shop.names(recommendations)[1:]] == [Reason.SIMILAR] * 2
    assert {name for name, _ in shop.names(recommendations)[1:]} <= {"tent lamp", "garden tent"}


async def test_out_of_stock_and_deleted_products_are_never_recommended(shop: Shop) -> None:
    shop.product("tent repair kit", stock=0)
    await shop.basket("tent", "tent repair kit", "tent pegs")
    shop.catalogue.delete(shop.ids["tent pegs"])
    names = {name for name, _ in shop.names(await shop.for_product(
        RecommendForProduct(product_id=shop.ids["tent"], limit=10)))}
    assert "tent repair kit" not in names
    assert "tent pegs" not in names
    assert "tent" not in names


async def test_recommendations_for_an_unknown_product_are_a_not_found(shop: Shop) -> None:
    with pytest.raises(ProductNotFound):
        await shop.for_product(RecommendForProduct(product_id=uuid.uuid4()))


async def test_a_customer_is_offered_companions_of_their_purchases_never_what_they_own(
    shop: Shop,
) -> None:
    ann = uuid.uuid4()
    await shop.basket("tent", "tent pegs", "camping stove")
    await shop.basket("tent", "camping stove")
    await shop.basket("tent", customer=ann)
    await shop.basket("tent pegs", customer=ann)
    recommendations = await shop.for_customer(RecommendForCustomer(customer_id=ann, limit=4))
    names = shop.names(recommendations)
    assert names[0] == ("camping stove", Reason.BOUGHT_TOGETHER)
    assert not {"tent", "tent pegs"} & {name for name, _ in names}


async def test_a_customer_without_purchases_gets_no_recommendations(shop: Shop) -> None:
    assert await shop.for_customer(RecommendForCustomer(customer_id=uuid.uuid4())) == []


class Orders:
    def __init__(self, lines: dict[uuid.UUID, list[uuid.UUID]], customer: uuid.UUID) -> None:
        self._lines = lines
        self._customer = customer

    async def order(self, order_id: uuid.UUID) -> object:
        from types import SimpleNamespace

        return SimpleNamespace(customer_id=self._customer, lines=[
            SimpleNamespace(product_id=pid, quantity=2) for pid in self._lines[order_id]])


async def test_the_projection_counts_paid_baskets_once_and_uncounts_refunds(shop: Shop) -> None:
    order_id = uuid.uuid4()
    tent, pegs = shop.ids["tent"], shop.ids["tent pegs"]
    projection = CoPurchaseProjection(Orders({order_id: [tent, pegs]}, uuid.uuid4()),  # type: ignore[arg-type]
                                      shop.store)
    paid = ReceivedEvent("OrderPaid", uuid.uuid4(), T0, {"order_id": str(order_id)})
    await projection.handle(paid)
    await projection.handle(paid)
    assert await shop.store.total_orders() == 1
    assert shop.store.baskets[order_id].quantities == {tent: 2, pegs: 2}
    await projection.handle(ReceivedEvent("OrderCancelled", uuid.uuid4(), T0,
                                          {"order_id": str(order_id)}))
    assert await shop.store.total_orders() == 0
