"""Validators of text that ends up on a label or a page about a person.

Bidirectional control characters (right-to-left override U+202E and the others below) reorder
what is displayed: 「\u202eｺﾅﾊ ｳﾄｻ」 shows as another name on a label or a screen than the one
stored, and nobody types one in a name or an address. Person fields refuse them (400 on the field,
code ``bidi_control``) rather than strip them, so that what the case worker sent is what is kept.
"""

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
