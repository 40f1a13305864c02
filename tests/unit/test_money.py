"""Money is exact, has two fraction digits, and never mixes currencies."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.money import ISO_4217_TWO_DIGIT, Money

currencies = st.sampled_from(sorted(ISO_4217_TWO_DIGIT))
# Up to ten trillion in either direction: far beyond any price, well inside Decimal's precision.
minor_units = st.integers(min_value=-(10**15), max_value=10**15)


@st.composite
def money(draw: st.DrawFn, currency: str | None = None) -> Money:
    return Money.from_minor_units(draw(minor_units), currency or draw(currencies))


def usd() -> st.SearchStrategy[Money]:
    return money(currency="USD")


# ------------------------------------------------------------------ construction


def test_money_is_built_from_a_decimal_string_with_two_fraction_digits() -> None:
    price = Money.of("19.99")
    assert price.amount == Decimal("19.99")
    assert price.currency == "USD"


def test_fewer_fraction_digits_are_padded_to_cents() -> None:
    assert Money.of("5").amount.as_tuple().exponent == -2
    assert str(Money.of(5, "EUR")) == "5.00 EUR"
    assert str(Money.of("0.5", "GBP")) == "0.50 GBP"


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_refused_whatever_its_value(value: float) -> None:
    with pytest.raises(InvalidValue) as refused:
        Money.of(value)  # type: ignore[arg-type]
    assert refused.value.field == "amount"


def test_a_float_is_refused_by_the_constructor_too() -> None:
    with pytest.raises(InvalidValue):
        Money(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["1.999", "0.001", "-3.141", Decimal("2.005")])
def test_more_than_two_fraction_digits_are_refused_not_rounded(amount: str | Decimal) -> None:
    with pytest.raises(InvalidValue) as refused:
        Money.of(amount)
    assert refused.value.field == "amount"


@pytest.mark.parametrize("amount", ["abc", "", "1,00", "NaN", "Infinity", "-inf", "sNaN"])
def test_text_that_is_not_a_finite_decimal_is_refused(amount: str) -> None:
    with pytest.raises(InvalidValue):
        Money.of(amount)


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999999999999.99"])
def test_an_amount_too_large_to_keep_exactly_is_refused_as_an_invalid_value(amount: str) -> None:
    with pytest.raises(InvalidValue):
        Money.of(amount)


@pytest.mark.parametrize("currency", ["XXX", "usd", "JPY", "", "US", "EURO"])
def test_an_unknown_or_unsupported_currency_is_refused(currency: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Money.of("1.00", currency)
    assert refused.value.field == "currency"


def test_amounts_that_differ_only_in_trailing_zeros_are_equal() -> None:
    assert Money.of("1.5") == Money.of("1.50") == Money.of(Decimal("1.500"))


def test_the_same_amount_in_another_currency_is_different_money() -> None:
    assert Money.of("1.00", "USD") != Money.of("1.00", "EUR")


def test_negative_money_knows_it_is_negative_and_zero_is_not() -> None:
    assert Money.of("-0.01").is_negative
    assert not Money.zero().is_negative
    assert not Money.of("-0").is_negative


# ------------------------------------------------------------------ currencies never mix


mixing: list[Callable[[Money, Money], Any]] = [
    operator.add,
    operator.sub,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
]


@pytest.mark.parametrize("combine", mixing, ids=lambda f: f.__name__)
def test_combining_two_currencies_is_refused(combine: Callable[[Money, Money], Any]) -> None:
    with pytest.raises(InvalidValue) as refused:
        combine(Money.of("1.00", "USD"), Money.of("1.00", "EUR"))
    assert refused.value.field == "currency"


@given(money(), money())
def test_combining_is_refused_exactly_when_the_currencies_differ(a: Money, b: Money) -> None:
    for combine in mixing:
        if a.currency == b.currency:
            combine(a, b)
        else:
            with pytest.raises(InvalidValue):
                combine(a, b)


# ------------------------------------------------------------------ exact arithmetic


@given(usd(), usd())
def test_addition_is_commutative(a: Money, b: Money) -> None:
    assert a + b == b + a


@given(usd(), usd(), usd())
def test_addition_is_associative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)


@given(usd())
def test_zero_is_the_identity_of_addition(a: Money) -> None:
    assert a + Money.zero() == a


@given(usd(), usd())
def test_subtraction_undoes_addition(a: Money, b: Money) -> None:
    assert (a + b) - b == a


@given(usd(), usd())
def test_sums_are_exact_to_the_cent(a: Money, b: Money) -> None:
    assert (a + b).minor_units == a.minor_units + b.minor_units


def test_sums_have_no_binary_floating_point_error() -> None:
    assert Money.of("0.10") + Money.of("0.20") == Money.of("0.30")


@given(money())
def test_minor_units_round_trip(m: Money) -> None:
    assert Money.from_minor_units(m.minor_units, m.currency) == m


@given(minor_units, currencies)
def test_from_minor_units_round_trip(minor: int, currency: str) -> None:
    assert Money.from_minor_units(minor, currency).minor_units == minor


@given(money())
def test_the_printed_amount_reads_back_as_the_same_money(m: Money) -> None:
    amount, currency = str(m).split(" ")
    assert Money.of(amount, currency) == m


@given(usd(), st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_a_whole_quantity_is_repeated_addition(a: Money, n: int) -> None:
    total = Money.zero()
    for _ in range(abs(n)):
        total = total + a
    expected = total if n >= 0 else Money.zero() - total
    assert a * n == expected
    assert n * a == expected
    assert (a * n).minor_units == a.minor_units * n


@pytest.mark.parametrize("quantity", [1.5, True, Decimal("2"), "2"])
def test_money_is_multiplied_by_whole_int_quantities_only(quantity: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        Money.of("1.00") * quantity  # type: ignore[operator]
    assert refused.value.field == "quantity"


@given(usd(), usd())
def test_ordering_follows_the_amount(a: Money, b: Money) -> None:
    assert (a < b) == (a.minor_units < b.minor_units)
    assert (a <= b) == (a.minor_units <= b.minor_units)


# ------------------------------------------------------------------ printing


@pytest.mark.parametrize(
    ("m", "printed"),
    [
        (Money.of("19.99"), "19.99 USD"),
        (Money.of("-0.5", "EUR"), "-0.50 EUR"),
        (Money.from_minor_units(1, "GBP"), "0.01 GBP"),
        (Money.from_minor_units(123456), "1234.56 USD"),
        (Money.zero("CHF"), "0.00 CHF"),
    ],
)
def test_money_prints_as_amount_with_two_fraction_digits_then_currency(
    m: Money, printed: str
) -> None:
    assert str(m) == printed


@settings(max_examples=50)
@given(money())
def test_the_printed_amount_always_has_exactly_two_fraction_digits(m: Money) -> None:
    amount = str(m).split(" ")[0]
    assert len(amount.split(".")[1]) == 2


def test_a_sum_too_large_to_keep_exactly_is_refused_rather_than_rounded() -> None:
    big = Money.of("9" * 26)
    with pytest.raises(InvalidValue):
        big + big
    with pytest.raises(InvalidValue):
        big * 10
