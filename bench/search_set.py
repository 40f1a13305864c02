"""A labelled product-search set, generated here: a catalogue, queries and graded labels.

WANDS (Wayfair's annotated product-search set, MIT) was the plan, but its
product and label files are not obtainable on this machine (only its
query list is); so this set is built in the same shape, honestly synthetic:

- 24 product types in 8 categories (a three-level tree), 12 products each
  (288), named with the different words shops use for the same thing
  ("Sofa", "Couch", "Settee", "Loveseat") and given a colour, a material, a
  brand and a templated description;
- 4 queries per type (96): a synonym ("couch"), a synonym with a colour
  ("navy couch"), a need in other words ("somewhere to sit and watch tv")
  and a misspelling ("sofaa");
- graded labels like WANDS' Exact / Partial / Irrelevant, derived from the
  generator's attributes, not from human judgement: 2 when the product is of
  the query's type (and of its colour, when the query names one), 1 when it
  is of the type but another colour, 0 for any other type.

Everything is seeded: the same set on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SEED = 20261201
PRODUCTS_PER_TYPE = 12


@dataclass(frozen=True)
class ProductType:
    key: str
    path: tuple[str, ...]
    names: tuple[str, ...]
    """The words product names use for it (shops disagree)."""
    synonym: str
    """How a shopper might type it in a query."""
    need: str
    """A query that says what it is for, not what it is called."""
    typo: str
    materials: tuple[str, ...]
    use: str


TYPES = (
    ProductType("sofa", ("Furniture", "Living Room", "Sofas"),
                ("Sofa", "Couch", "Settee", "Loveseat"), "couch",
                "somewhere comfortable for three people to sit and watch tv", "sofaa",
                ("velvet", "linen", "leather"), "the living room"),
    ProductType("armchair", ("Furniture", "Living Room", "Armchairs"),
                ("Armchair", "Accent Chair", "Wingback Chair", "Club Chair"), "reading chair",
                "a single comfy seat for the corner of the lounge", "armchiar",
                ("velvet", "boucle", "leather"), "reading by the window"),
    ProductType("coffee_table", ("Furniture", "Living Room", "Coffee Tables"),
                ("Coffee Table", "Cocktail Table", "Centre Table"), "cocktail table",
                "a low table in front of the couch for drinks and magazines", "cofee table",
                ("oak", "marble", "glass"), "the middle of the living room"),
    ProductType("bed", ("Furniture", "Bedroom", "Beds"),
                ("Bed Frame", "Platform Bed", "Divan Bed", "Sleigh Bed"), "bedstead",
                "a double frame to put a mattress on", "bedframe",
                ("oak", "walnut", "upholstered fabric"), "the bedroom"),
    ProductType("nightstand", ("Furniture", "Bedroom", "Nightstands"),
                ("Nightstand", "Bedside Table", "Bedside Cabinet"), "bedside table",
                "a small table with a drawer next to the bed", "nighstand",
                ("oak", "pine", "lacquered mdf"), "keeping a lamp and a book by the bed"),
    ProductType("wardrobe", ("Furniture", "Bedroom", "Wardrobes"),
                ("Wardrobe", "Armoire", "Clothes Closet"), "armoire",
                "tall cupboard to hang clothes in", "wardobe",
                ("oak", "pine", "white mdf"), "hanging shirts and coats"),
    ProductType("desk", ("Furniture", "Office", "Desks"),
                ("Desk", "Writing Table", "Computer Desk", "Standing Desk"), "work table",
                "somewhere to put my laptop when working from home", "dsek",
                ("oak", "steel", "bamboo"), "the home office"),
    ProductType("office_chair", ("Furniture", "Office", "Office Chairs"),
                ("Office Chair", "Desk Chair", "Task Chair", "Ergonomic Chair"), "desk chair",
                "a swivel seat with lumbar support for long working days", "ofice chair",
                ("mesh", "leather", "fabric"), "eight hours at a desk"),
    ProductType("bookcase", ("Furniture", "Office", "Bookcases"),
                ("Bookcase", "Bookshelf", "Shelving Unit", "Etagere"), "bookshelf",
                "tall shelves to store my novels", "bookcsae",
                ("oak", "walnut", "steel"), "a growing library"),
    ProductType("rug", ("Home Decor", "Textiles", "Rugs"),
                ("Rug", "Area Rug", "Runner", "Carpet"), "carpet",
                "something soft to cover the floorboards", "ruggs",
                ("wool", "jute", "cotton"), "warm floors"),
    ProductType("curtains", ("Home Decor", "Textiles", "Curtains"),
                ("Curtains", "Drapes", "Window Panels", "Blackout Curtains"), "drapes",
                "to keep the morning light out of the bedroom window", "curtians",
                ("linen", "velvet", "cotton"), "dressing a window"),
    ProductType("cushion", ("Home Decor", "Textiles", "Cushions"),
                ("Cushion", "Throw Pillow", "Scatter Cushion"), "throw pillow",
                "a soft square to lean on when sitting on the sofa", "cushon",
                ("velvet", "linen", "cotton"), "adding colour to a couch"),
    ProductType("lamp", ("Lighting", "Indoor", "Lamps"),
                ("Table Lamp", "Floor Lamp", "Desk Lamp", "Reading Light"), "light",
                "something to light the room in the evening", "lmap",
                ("brass", "ceramic", "steel"), "a warm evening glow"),
    ProductType("pendant", ("Lighting", "Indoor", "Ceiling Lights"),
                ("Pendant Light", "Chandelier", "Ceiling Light"), "chandelier",
                "light that hangs from the ceiling above the dining table", "pendent light",
                ("brass", "glass", "rattan"), "lighting a dining table from above"),
    ProductType("saucepan", ("Kitchen", "Cookware", "Pots and Pans"),
                ("Saucepan", "Stock Pot", "Frying Pan", "Skillet"), "cooking pot",
                "for boiling pasta and making soup on the hob", "saucpan",
                ("stainless steel", "cast iron", "copper"), "everyday cooking"),
    ProductType("knife", ("Kitchen", "Cookware", "Knives"),
                ("Chef's Knife", "Santoku Knife", "Knife Block Set", "Paring Knife"),
                "kitchen knives", "a sharp blade to chop vegetables", "knive set",
                ("carbon steel", "damascus steel", "ceramic"), "slicing and dicing"),
    ProductType("kettle", ("Kitchen", "Appliances", "Kettles"),
                ("Electric Kettle", "Kettle", "Stovetop Kettle"), "water boiler",
                "to boil water for tea quickly", "ketle",
                ("stainless steel", "glass", "enamel"), "a morning cup of tea"),
    ProductType("coffee_machine", ("Kitchen", "Appliances", "Coffee Machines"),
                ("Espresso Machine", "Coffee Maker", "Bean to Cup Machine", "Filter Coffee "
                 "Machine"), "coffee maker", "something to brew a morning latte at home",
                "expresso machine", ("stainless steel", "black plastic", "chrome"),
                "barista coffee at home"),
    ProductType("garden_chair", ("Outdoor", "Garden Furniture", "Garden Seating"),
                ("Garden Chair", "Patio Chair", "Deck Chair", "Adirondack Chair"),
                "patio chair", "somewhere to sit outside in the sun", "gardn chair",
                ("teak", "rattan", "aluminium"), "the patio"),
    ProductType("parasol", ("Outdoor", "Garden Furniture", "Shade"),
                ("Parasol", "Patio Umbrella", "Cantilever Umbrella", "Sun Shade"),
                "sun umbrella", "to keep the sun off the garden table", "parasoll",
                ("polyester", "canvas", "olefin"), "shade in summer"),
    ProductType("hose", ("Outdoor", "Gardening", "Watering"),
                ("Garden Hose", "Hose Reel", "Watering Hose", "Expandable Hose"),
                "watering pipe", "to water the flower beds from the outside tap", "hoze pipe",
                ("rubber", "pvc", "latex"), "watering the garden"),
    ProductType("towel", ("Bath", "Textiles", "Towels"),
                ("Bath Towel", "Hand Towel", "Bath Sheet", "Towel Set"), "bath sheet",
                "to dry off after a shower", "towl",
                ("cotton", "bamboo", "linen"), "the bathroom"),
    ProductType("mirror", ("Bath", "Fixtures", "Mirrors"),
                ("Wall Mirror", "Bathroom Mirror", "Vanity Mirror", "Looking Glass"),
                "looking glass", "to see myself when shaving above the sink", "mirorr",
                ("brass", "wood", "frameless glass"), "above the basin"),
    ProductType("shower_curtain", ("Bath", "Fixtures", "Shower Curtains"),
                ("Shower Curtain", "Shower Screen", "Bath Screen"), "bath screen",
                "to stop water splashing out of the bathtub", "shower curtian",
                ("polyester", "glass", "cotton"), "the shower"),
)

COLOURS = ("grey", "navy", "green", "white", "black", "mustard")
BRANDS = ("Nordhaus", "Alder & Co", "Maple Lane", "Studio Nine", "Harbour", "Oakridge")
ADJECTIVES = ("compact", "generous", "classic", "modern", "handmade", "sturdy")
CLOSINGS = ("Easy to clean.", "Ships flat-packed.", "Two-year guarantee.",
            "Assembled in minutes.")


@dataclass(frozen=True)
class Product:
    key: str
    """Stable id in the set (labels refer to it)."""
    type_key: str
    path: tuple[str, ...]
    name: str
    description: str
    colour: str
    price: str


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    kind: str
    """`synonym`, `colour`, `need` or `typo`."""
    labels: dict[str, int] = field(hash=False)
    """Product key -> grade (2 exact, 1 partial); absent products are 0."""


def catalogue(seed: int = SEED, per_type: int = PRODUCTS_PER_TYPE) -> list[Product]:
    rng = random.Random(seed)
    products = []
    for kind in TYPES:
        for n in range(per_type):
            colour = rng.choice(COLOURS)
            material = rng.choice(kind.materials)
            noun = kind.names[n % len(kind.names)]
            adjective = rng.choice(ADJECTIVES)
            name = f"{rng.choice(BRANDS)} {colour.title()} {material.title()} {noun}"
            description = (f"A {adjective} {noun.lower()} in {colour} {material}, made for "
                           f"{kind.use}. {rng.choice(CLOSINGS)}")
            price = f"{rng.randint(15, 900)}.{rng.choice(('00', '50', '99'))}"
            products.append(Product(key=f"{kind.key}-{n}", type_key=kind.key, path=kind.path,
                                    name=name, description=description, colour=colour,
                                    price=price))
    return products


def _grade(product: Product, kind: ProductType, colour: str | None) -> int:
    """Other product types are irrelevant (0), as WANDS grades them, even in the same room."""
    if product.type_key != kind.key:
        return 0
    return 2 if colour is None or product.colour == colour else 1


def queries(products: list[Product], seed: int = SEED) -> list[LabelledQuery]:
    rng = random.Random(seed + 1)
    found: list[LabelledQuery] = []
    for kind in TYPES:
        colour = rng.choice(COLOURS)
        for text, kind_name, wanted_colour in (
            (kind.synonym, "synonym", None),
            (f"{colour} {kind.synonym}", "colour", colour),
            (kind.need, "need", None),
            (kind.typo, "typo", None),
        ):
            labels = {p.key: g for p in products if (g := _grade(p, kind, wanted_colour))}
            found.append(LabelledQuery(text=text, kind=kind_name, labels=labels))
    return found


def category_of(product: Product) -> str:
    return " > ".join(product.path)
