"""The demo catalog `shop seed-demo` loads: a small tree of categories and products."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.application.catalog.queries import ListCategories, ListProducts
from shop.application.catalog.views import Page
from shop.application.messagebus import MessageBus


@dataclass(frozen=True)
class DemoProduct:
    name: str
    price: str
    stock: int
    sku: str
    description: str = ""


# category path -> products; parents are created before their children.
DEMO: dict[tuple[str, ...], list[DemoProduct]] = {
    ("Apparel",): [],
    ("Apparel", "Shoes"): [],
    ("Apparel", "Shoes", "Running"): [
        DemoProduct("Trail Runner 2", "129.00", 40, "SHOE-TR2", "Grippy trail shoe."),
        DemoProduct("Road Racer", "149.50", 25, "SHOE-RR1", "Light road racing flat."),
    ],
    ("Apparel", "Shoes", "Hiking"): [
        DemoProduct("Summit Boot", "189.99", 15, "SHOE-SB1", "Waterproof leather boot."),
    ],
    ("Apparel", "Jackets"): [
        DemoProduct("Rain Shell", "99.00", 30, "JKT-RS1", "Packable rain jacket."),
        DemoProduct("Down Parka", "249.00", 8, "JKT-DP1", "Warm to -20 C."),
    ],
    ("Electronics",): [],
    ("Electronics", "Audio"): [
        DemoProduct("Studio Headphones", "199.00", 20, "AUD-SH1", "Closed-back monitors."),
        DemoProduct("Pocket Speaker", "49.99", 60, "AUD-PS1", "Bluetooth, 12 h battery."),
    ],
    ("Electronics", "Computers"): [],
    ("Electronics", "Computers", "Laptops"): [
        DemoProduct("Ultrabook 14", "1299.00", 5, "LAP-UB14", "14 inch, 1.1 kg."),
        DemoProduct("Workstation 16", "2499.00", 3, "LAP-WS16", "16 inch, 64 GB RAM."),
    ],
    ("Home & Kitchen",): [
        DemoProduct("Pour-over Kettle", "59.00", 35, "HOM-PK1", "Gooseneck, 1 l."),
        DemoProduct("Chef Knife", "89.00", 12, "HOM-CK1", "20 cm, forged steel."),
    ],
}


async def seed_demo_catalog(bus: MessageBus) -> tuple[int, int]:
    """Load the demo catalog into an empty shop; returns (categories, products) created.

    A shop that already has categories or products is left untouched, so the
    command is safe to run twice and never mixes demo data into a real catalog.
    """
    has_categories = (await bus.ask(ListCategories(page=Page(limit=1)))).total
    has_products = (await bus.ask(ListProducts(page=Page(limit=1)))).total
    if has_categories or has_products:
        return 0, 0
    ids: dict[tuple[str, ...], uuid.UUID] = {}
    products = 0
    for path, items in DEMO.items():
        parent = ids.get(path[:-1]) if len(path) > 1 else None
        category = await bus.handle(CreateCategory(name=path[-1], parent_id=parent))
        ids[path] = category.id
        for item in items:
            await bus.handle(
                CreateProduct(name=item.name, description=item.description, price=item.price,
                              category_id=category.id, stock=item.stock, sku=item.sku)
            )
            products += 1
    return len(ids), products
