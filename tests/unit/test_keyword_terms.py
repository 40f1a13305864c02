"""The words a keyword search sends to the database: no syntax, no noise, any alphabet."""

from __future__ import annotations

from shop.infrastructure.db.keyword_search import MAX_TERMS, query_terms


def test_words_are_lower_cased_deduplicated_and_stripped_of_syntax() -> None:
    assert query_terms('Sofa "SOFA" OR (grey*) NEAR:') == ["sofa", "grey", "near"]


def test_function_words_are_dropped_unless_they_are_all_there_is() -> None:
    assert query_terms("somewhere to sit and watch tv") == ["sit", "watch", "tv"]
    assert query_terms("the") == ["the"]


def test_any_alphabet_is_kept_with_its_own_case_rules() -> None:
    assert query_terms("Καναπές Straße café") == ["καναπές", "straße", "café"]


def test_a_long_query_is_cut_to_a_bounded_number_of_terms() -> None:
    assert len(query_terms(" ".join(f"word{n}" for n in range(50)))) == MAX_TERMS
