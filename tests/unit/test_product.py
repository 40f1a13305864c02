"""The Product entity: what the catalog sells, with a version bumped by every real change."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.catalog.events import ProductCreated, ProductDeleted, ProductUpdated
from shop.domain.catalog.product import Product
from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.money import Money

from .fakes import T0

LATER = T0 + timedelta(minutes=5)
CATEGORY = uuid.uuid4()


def new_product(**overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": "Widget",
        "description": "A useful widget",
        "price": Money.of("19.99"),
        "category_id": CATEGORY,
        "sku": "W-1",
        "now": T0,
    }
    fields.update(overrides)
    return Product.create(**fields)


def settled_product(**overrides: Any) -> Product:
    product = new_product(**overrides)
    product.pull_events()
    return product


# ------------------------------------------------------------------ creation


def test_a_new_product_starts_at_version_1_and_records_its_creation() -> None:
    product = new_product()

    assert product.version == 1
    assert product.created_at == product.updated_at == T0
    [event] = product.pull_events()
    assert isinstance(event, ProductCreated)
    assert event.product_id == product.id
    assert event.version == 1
    assert (event.name, event.price, event.currency) == ("Widget", "19.99", "USD")
    assert (event.category_id, event.sku) == (CATEGORY, "W-1")


def test_name_and_sku_are_trimmed() -> None:
    product = new_product(name="  Widget ", sku="  W-1 ")
    assert (product.name, product.sku) == ("Widget", "W-1")


def test_a_product_may_have_no_sku() -> None:
    assert new_product(sku=None).sku is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 201),
        ("description", "d" * 5001),
        ("price", Money.of("-0.01")),
        ("sku", "  "),
        ("sku", "s" * 65),
    ],
)
def test_creation_refuses_a_value_that_breaks_a_rule_and_names_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidValue) as refused:
        new_product(**{field: value})
    assert refused.value.field == field


def test_a_free_product_is_allowed() -> None:
    assert new_product(price=Money.zero()).price == Money.zero()


# ------------------------------------------------------------------ revision


def test_revising_returns_the_fields_that_changed_and_bumps_the_version_once() -> None:
    product = settled_product()

    changed = product.revise(now=LATER, name="Gadget", description="Shiny")

    assert changed == ("name", "description")
    assert (product.name, product.description) == ("Gadget", "Shiny")
    assert product.version == 2
    assert product.updated_at == LATER
    [event] = product.pull_events()
    assert isinstance(event, ProductUpdated)
    assert event.changed == ("name", "description")
    assert event.version == 2
    assert event.product_id == product.id


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"name": "Widget"},
        {"name": "  Widget  "},
        {"description": "A useful widget"},
        {"price": Money.of("19.990")},
        {"category_id": CATEGORY},
        {"sku": "W-1"},
        {"sku": " W-1 "},
    ],
)
def test_revising_with_the_current_values_changes_nothing(same: dict[str, Any]) -> None:
    product = settled_product()

    assert product.revise(now=LATER, **same) == ()
    assert product.version == 1
    assert product.updated_at == T0
    assert product.pull_events() == []


def test_a_new_amount_in_the_same_currency_changes_only_the_price() -> None:
    product = settled_product()
    assert product.revise(now=LATER, price=Money.of("25.00")) == ("price",)
    assert product.price == Money.of("25.00")


def test_the_same_amount_in_another_currency_changes_only_the_currency() -> None:
    product = settled_product()
    assert product.revise(now=LATER, price=Money.of("19.99", "EUR")) == ("currency",)
    assert product.price == Money.of("19.99", "EUR")


def test_a_new_amount_in_another_currency_changes_price_and_currency() -> None:
    product = settled_product()
    assert product.revise(now=LATER, price=Money.of("5.00", "GBP")) == ("price", "currency")


def test_revising_to_a_negative_price_is_refused_and_keeps_the_old_price() -> None:
    product = settled_product()
    with pytest.raises(InvalidValue) as refused:
        product.revise(now=LATER, price=Money.of("-1.00"))
    assert refused.value.field == "price"
    assert product.price == Money.of("19.99")
    assert product.version == 1


def test_moving_to_another_category_is_a_change() -> None:
    product = settled_product()
    other = uuid.uuid4()
    assert product.revise(now=LATER, category_id=other) == ("category_id",)
    assert product.category_id == other


def test_clearing_the_sku_removes_it() -> None:
    product = settled_product()
    assert product.revise(now=LATER, clear_sku=True) == ("sku",)
    assert product.sku is None


def test_clearing_an_absent_sku_is_no_change() -> None:
    product = settled_product(sku=None)
    assert product.revise(now=LATER, clear_sku=True) == ()


def test_leaving_the_sku_out_keeps_it() -> None:
    product = settled_product()
    product.revise(now=LATER, name="Gadget")
    assert product.sku == "W-1"


@given(st.lists(st.sampled_from(["Widget", "Gadget", "Gizmo"]), max_size=10))
def test_the_version_counts_the_revisions_that_changed_something(names: list[str]) -> None:
    product = settled_product()
    real_changes = 0
    for name in names:
        if product.revise(now=LATER, name=name):
            real_changes += 1
    assert product.version == 1 + real_changes
    events = product.pull_events()
    assert all(isinstance(e, ProductUpdated) for e in events)
    assert [e.version for e in events if isinstance(e, ProductUpdated)] == list(
        range(2, 2 + real_changes)
    )


# ------------------------------------------------------------------ discontinuing


def test_discontinuing_bumps_the_version_and_records_product_deleted() -> None:
    product = settled_product()

    product.discontinue(LATER)

    assert product.version == 2
    assert product.updated_at == LATER
    [event] = product.pull_events()
    assert isinstance(event, ProductDeleted)
    assert (event.product_id, event.version) == (product.id, 2)
