"""Validators of text that ends up on a label or a page about a person, and of readings of names.

Bidirectional control characters (right-to-left override U+202E and the others below) reorder
what is displayed: 「\u202eｺﾅﾊ ｳﾄｻ」 shows as another name on a label or a screen than the one
stored, and nobody types one in a name or an address. Person fields refuse them (400 on the field,
code ``bidi_control``) rather than strip them, so that what the case worker sent is what is kept.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Unicode's bidi controls: ALM, LRM, RLM, the embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
# and the isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def refuse_bidi_controls(value: str) -> None:
    found = sorted({char for char in value or "" if char in BIDI_CONTROLS})
    if found:
        raise ValidationError(
            _("Remove the invisible direction control characters (%(codes)s)."),
            code="bidi_control",
            params={"codes": ", ".join(f"U+{ord(c):04X}" for c in found)},
        )


# A reading (yomigana) of a name as directories and sorted lists give it: full-width katakana
# (ァ…ヺ, so ヴ and small kana too), the long vowel mark ー and spaces (ASCII or full-width)
# between words. Half-width katakana, hiragana, latin letters and the middle dot are refused rather
# than converted, so that what is published is what the coordinator typed (docs/directory.md).
_KATAKANA_READING = re.compile("[\u30a1-\u30fa\u30fc \u3000]+")


def validate_katakana_reading(value: str) -> None:
    if value and not _KATAKANA_READING.fullmatch(value):
        raise ValidationError(
            _("Enter the reading in full-width katakana (spaces and ー allowed), e.g. オタルシ シャキョウ."),
            code="katakana",
        )
