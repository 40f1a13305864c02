"""Handlers of inventory commands: each change is one conditional update, recorded by Stock."""

from __future__ import annotations

from shop.application.inventory.commands import AdjustStock, SetStock
from shop.application.inventory.views import StockView
from shop.application.ports import Clock, UnitOfWork
from shop.domain.catalog.errors import ProductNotFound
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.inventory.stock import MAX_STOCK, check_level
from shop.domain.shared.errors import InvalidValue


class AdjustStockHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: AdjustStock, uow: UnitOfWork) -> StockView:
        if command.delta == 0:
            raise InvalidValue("delta", "must not be zero")
        reason = command.reason.strip()
        if not reason or len(reason) > 200:
            raise InvalidValue("reason", "must be 1 to 200 characters")
        async with uow:
            if await uow.products.get(command.product_id) is None:
                raise ProductNotFound(command.product_id)
            stock = await uow.stock.apply_delta(command.product_id, command.delta,
                                                self._clock.now())
            if stock is None and command.delta > 0:
                raise InvalidValue("delta", f"stock would exceed the maximum of {MAX_STOCK}")
            if stock is None:
                raise InsufficientStock(command.product_id, -command.delta)
            stock.record_change(command.delta, reason)
            await uow.commit()
            return StockView.of(stock)


class SetStockHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: SetStock, uow: UnitOfWork) -> StockView:
        check_level(command.stock)
        async with uow:
            if await uow.products.get(command.product_id) is None:
                raise ProductNotFound(command.product_id)
            result = await uow.stock.set_level(command.product_id, command.stock,
                                               self._clock.now())
            if result is None:
                raise ProductNotFound(command.product_id)
            level, delta = result
            if delta:
                level.record_change(delta, "stock count set")
            await uow.commit()
            return StockView.of(level)
