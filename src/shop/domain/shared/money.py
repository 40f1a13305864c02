"""Exact money: a Decimal amount with exactly two fraction digits and an ISO 4217 currency.

Floats are refused at construction, so binary floating point can never leak
onto the money path, and arithmetic refuses to mix currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from shop.domain.shared.errors import InvalidValue

_CENT = Decimal("0.01")

# Active ISO 4217 codes whose minor unit is two digits: the only ones the
# contract's "exactly two fraction digits" can represent faithfully.
ISO_4217_TWO_DIGIT: frozenset[str] = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
        "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
        "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
        "IDR", "ILS", "INR", "IRR", "ISK", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK",
        "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
        "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
        "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
        "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
        "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR",
        "ZMW", "ZWL",
    }
)

DEFAULT_CURRENCY = "USD"


def _to_decimal(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):  # bool is an int and harmless; floats are not
        raise InvalidValue("amount", "money must not be built from a float")
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int | str):
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise InvalidValue("amount", f"{amount!r} is not a decimal amount") from None
    else:
        raise InvalidValue("amount", f"{type(amount).__name__} is not a money amount")
    if not value.is_finite():
        raise InvalidValue("amount", "money must be a finite amount")
    try:
        in_cents = value.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:  # more digits than Decimal's context keeps exactly
        raise InvalidValue("amount", "money amount is too large") from None
    if value != in_cents:
        raise InvalidValue("amount", "money has at most two fraction digits")
    return in_cents


def validate_currency(code: str) -> str:
    """Return the code if it is a supported ISO 4217 currency, else refuse it."""
    if code not in ISO_4217_TWO_DIGIT:
        raise InvalidValue("currency", f"{code!r} is not a supported ISO 4217 currency code")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency; compare and add only within a currency."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _to_decimal(self.amount))
        validate_currency(self.currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(_to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal("0.00"), currency)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Rebuild money stored as an integer count of cents (how the database keeps it)."""
        return cls(Decimal(minor).scaleb(-2), currency)

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(2))

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidValue(
                "currency", f"cannot combine {self.currency} with {other.currency}"
            )

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise InvalidValue("quantity", "money is multiplied by whole quantities only")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
