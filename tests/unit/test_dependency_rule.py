"""The dependency rule: the domain needs only Python; the application only the domain.

Checked on the source text with `ast`, so an import hidden inside a function or
behind `if TYPE_CHECKING:` counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "shop"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """Every module the source imports, relative imports resolved against `package`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def violations(layer: str, allowed_packages: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, name in imported_modules(path):
            if is_stdlib(name) or any(is_within(name, p) for p in allowed_packages):
                continue
            found.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    return found


@pytest.mark.parametrize(
    ("layer", "allowed"),
    [
        ("domain", ("shop.domain",)),
        ("application", ("shop.domain", "shop.application")),
    ],
)
def test_a_layer_imports_only_the_standard_library_and_the_layers_beneath_it(
    layer: str, allowed: tuple[str, ...]
) -> None:
    assert list((PACKAGE / layer).rglob("*.py")), f"no source found under {layer}"
    assert violations(layer, allowed) == []


def test_the_checker_sees_every_kind_of_import() -> None:
    """The rule above would pass vacuously if the checker saw nothing; show that it sees."""
    source = (
        "import sqlalchemy, json\n"
        "from shop.application import ports\n"
        "from . import money\n"
        "from ..catalog.product import Product\n"
        "def later():\n"
        "    from litestar import Litestar\n"
    )
    names = [name for _, name in imports_in(source, "shop.domain.shared")]
    assert names == [
        "sqlalchemy",
        "json",
        "shop.application",
        "shop.domain.shared",
        "shop.domain.catalog.product",
        "litestar",
    ]
    forbidden = [n for n in names if not is_stdlib(n) and not is_within(n, "shop.domain")]
    assert forbidden == ["sqlalchemy", "shop.application", "litestar"]
