"""How an Address is spread over the `ship_*` columns that customers and orders share."""

from __future__ import annotations

from typing import Any

from shop.domain.shared.address import Address


def address_columns(address: Address | None) -> dict[str, Any]:
    return {
        "ship_line1": address.line1 if address else None,
        "ship_line2": address.line2 if address else None,
        "ship_city": address.city if address else None,
        "ship_postal_code": address.postal_code if address else None,
        "ship_country": address.country if address else None,
    }


def address_from(row: Any) -> Address | None:
    if row.ship_line1 is None:
        return None
    return Address(line1=row.ship_line1, line2=row.ship_line2, city=row.ship_city,
                   postal_code=row.ship_postal_code, country=row.ship_country)
