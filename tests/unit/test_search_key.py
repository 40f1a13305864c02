"""The one rule names are searched by: Unicode compatibility case folding (NFKC + casefold)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.catalog.names import search_key


@pytest.mark.parametrize(("one", "other"), [
    ("CAFÉ", "Café"),
    ("ΕΛΛΗΝΙΚΆ", "Ελληνικά"),
    ("straße", "STRASSE"),
    ("Cafe\u0301", "café"),  # decomposed and composed é
    ("ﬁne", "FINE"),  # the fi ligature is two letters
    ("ΣΟΦΟΣ", "σοφος"),  # final sigma folds like any sigma
])
def test_names_that_differ_only_in_case_or_form_share_a_key(one: str, other: str) -> None:
    assert search_key(one) == search_key(other)


def test_different_letters_keep_different_keys() -> None:
    assert search_key("café") != search_key("cafe")


@given(st.text())
def test_folding_twice_changes_nothing(text: str) -> None:
    assert search_key(search_key(text)) == search_key(text)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_folds_as_lower_case(text: str) -> None:
    assert search_key(text) == text.lower()
