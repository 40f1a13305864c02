"""An admin disables (or enables again) an account.

Disabling ends every login at once (refresh tokens revoked in the same
transaction); access tokens already handed out are refused by the guards as
soon as their account-status check sees it (see `AccountStatus`).
"""

from __future__ import annotations

from shop.application.customers.commands import SetCustomerDisabled
from shop.application.customers.ports import AccountStatus
from shop.application.customers.views import CustomerView
from shop.application.ports import Clock, UnitOfWork
from shop.domain.customers.errors import CustomerNotFound
from shop.domain.customers.events import CustomerEvent


class SetCustomerDisabledHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: SetCustomerDisabled, uow: UnitOfWork) -> CustomerView:
        async with uow:
            customer = await uow.customers.get(command.customer_id)
            if customer is None:
                raise CustomerNotFound(command.customer_id)
            now = self._clock.now()
            if command.disabled:
                customer.disable(now, by=command.by)
                await uow.refresh_tokens.revoke_all(customer.id, now)
            else:
                customer.enable(now)
            await uow.customers.save(customer)
            await uow.commit()
            return CustomerView.of(customer)


class ForgetCachedAccountStatus:
    """After a commit that disabled or enabled an account, this process asks afresh."""

    def __init__(self, status: AccountStatus) -> None:
        self._status = status

    async def on_status_changed(self, event: CustomerEvent) -> None:
        self._status.forget(event.customer_id)
