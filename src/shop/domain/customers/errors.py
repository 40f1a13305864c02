"""The customers context's refusals."""

from __future__ import annotations

import uuid

from shop.domain.shared.errors import Conflict, NotFound


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: uuid.UUID) -> None:
        super().__init__(f"customer {customer_id} does not exist")


class CannotDisableSelf(Conflict):
    def __init__(self) -> None:
        super().__init__("an admin cannot disable their own account")
