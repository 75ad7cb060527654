"""inventory.allergens: the codes a household's free-text allergy note names (docs/traceability.md)."""

import pytest

from inventory import allergens


@pytest.mark.parametrize(
    ("note", "codes"),
    [
        ("", []),
        ("特になし", []),
        ("エビ・卵", ["shrimp", "egg"]),
        ("卵、えび（重度）", ["shrimp", "egg"]),  # in the standard's order, whatever the note's
        ("EGG and Shrimp", ["shrimp", "egg"]),  # spellings in any case
        ("乳", ["milk"]),
        ("乳、卵", ["egg", "milk"]),
        ("乳製品", ["milk"]),
        ("牛乳とそば", ["buckwheat", "milk"]),
        ("乳児がいます", []),  # an infant, not milk
        ("乳児、乳", ["milk"]),
    ],
)
def test_a_note_names_the_codes_it_spells_out(note, codes):
    assert allergens.from_text(note) == codes


def test_what_packing_avoids_and_prints_joins_the_codes_and_the_note():
    assert allergens.avoided(["egg", "unknown"], "そば") == ["buckwheat", "egg"]
    assert allergens.for_packer(["egg"], "そば（重度）") == "そば・卵（そば（重度））"
    assert allergens.for_packer(["wheat"], "") == "小麦"
    assert allergens.for_packer(None, "") == ""
