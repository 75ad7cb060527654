"""Checking and writing a B2 field: JIS characters, cp932 lengths, phones, postal codes, formulas."""

import re
import unicodedata
from functools import lru_cache

from django.utils.translation import gettext as _

from foodbank import postal
from foodbank.exports import FORMULA_PREFIXES

from .. import jis
from ..base import Problem
from .addresses import ADDRESS_PARTS, split_address

_DASHES = re.compile(r"[‐‑‒–—―−－ー]")


def _phone(raw: str) -> str | None:
    """A Japanese phone number in digits and hyphens (10 or 11 digits starting with 0), or None."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", raw)).replace(" ", "").strip("-")
    text = re.sub(r"\((\d+)\)", r"\1-", text)
    if not re.fullmatch(r"[0-9]+(-[0-9]+)*", text):
        return None
    digits = text.replace("-", "")
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        return None
    return text


@lru_cache(maxsize=8192)
def _known_postal_code(digits: str) -> bool:
    # A batch repeats the same few hundred postal codes; Japan Post's data is looked up once each.
    return postal.lookup(digits) is not None


class _Checker:
    """Collects problems and the values to write for one parcel (or one account)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message))

    def warning(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message, "warning"))

    def formula_like(self, field: str, label: str, *texts: str) -> bool:
        """Free text that a spreadsheet would run as a formula (``=1+1``, ``@SUM(1)``): the parcel is
        held back. B2 Cloud prints these columns on the label and refuses a leading apostrophe in
        some of them, so the other exports' neutralising (foodbank.exports) is no option here
        (docs/shipping-b2.md, "Formula characters")."""
        text = next((t for t in texts if t.startswith(FORMULA_PREFIXES)), None)
        if text is None:
            return False
        self.error(
            field,
            "formula_like",
            _(
                "%(label)s starts with 「%(char)s」, which a spreadsheet runs as a formula; "
                "correct it (the parcel is held back until then)."
            )
            % {"label": label, "char": text[0].replace("\t", "TAB").replace("\r", "CR")},
        )
        return True

    def text(self, field: str, label: str, value: str, limit: int, *, required: bool = False) -> str:
        value = value.strip()
        if not value:
            if required:
                self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        fitted = jis.fit_text(value)
        for original, written in fitted.mapped:
            self.warning(
                field,
                "mapped_character",
                _(
                    "%(label)s: 「%(original)s」 is written as 「%(written)s」 "
                    "(B2 Cloud accepts JIS level 1/2 only)."
                )
                % {"label": label, "original": original, "written": written},
            )
        if fitted.unmappable:
            chars = "".join(fitted.unmappable)
            self.error(
                field,
                "unmappable_character",
                _(
                    "%(label)s contains 「%(chars)s」 (%(codes)s), which B2 Cloud does not accept "
                    "and which has no standard replacement; write it another way "
                    "(e.g. the usual kanji or kana)."
                )
                % {
                    "label": label,
                    "chars": chars,
                    "codes": ", ".join(f"U+{ord(c):04X}" for c in fitted.unmappable),
                },
            )
            return ""
        if self.formula_like(field, label, value, fitted.text):
            return ""
        self.limit(field, label, fitted.text, limit)
        return fitted.text

    def kana(self, field: str, label: str, value: str, limit: int) -> str:
        value = value.strip()
        if not value:
            return ""
        fitted = jis.fit_kana(value)
        if fitted.unmappable:
            self.error(
                field,
                "not_kana",
                _("%(label)s must be written in kana; 「%(chars)s」 is not.")
                % {"label": label, "chars": "".join(fitted.unmappable)},
            )
            return ""
        if self.formula_like(field, label, value, fitted.text):
            return ""
        self.limit(field, label, fitted.text, limit)
        return fitted.text

    def limit(self, field: str, label: str, text: str, limit: int) -> None:
        length = jis.cp932_length(text)
        if length > limit:
            self.error(
                field,
                "too_long",
                _(
                    "%(label)s is %(length)d bytes in cp932; B2 Cloud accepts %(limit)d "
                    "(a full-width character counts 2). Shorten it: it is never cut off automatically."
                )
                % {"label": label, "length": length, "limit": limit},
            )

    def address_parts(self, field: str, label: str, address: str, postal_code: str) -> None:
        """Each part of the split address within B2's length (never cut: the parcel is held back)."""
        for (part, limit), text in zip(ADDRESS_PARTS, split_address(address, postal_code), strict=True):
            length = jis.cp932_length(text)
            if length > limit:
                self.error(
                    field,
                    "address_part_too_long",
                    _(
                        "%(label)s: B2 Cloud splits the address, and its %(part)s is %(length)d bytes; "
                        "B2 accepts %(limit)d (%(chars)d full-width characters). Shorten it (e.g. "
                        "move the building and room into their own field): it is never cut off."
                    )
                    % {"label": label, "part": part, "length": length, "limit": limit, "chars": limit // 2},
                )

    def phone(self, field: str, label: str, value: str) -> str:
        if not value.strip():
            self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        phone = _phone(value)
        if phone is None or len(phone) > 15:
            self.error(
                field,
                "invalid_phone",
                _("%(label)s must be a Japanese phone number of 10 or 11 digits, e.g. 011-123-4567.")
                % {"label": label},
            )
            return ""
        return phone

    def postal_code(self, field: str, label: str, value: str) -> str:
        if not value.strip():
            self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        try:
            digits = postal.normalise(value)
        except ValueError:
            self.error(
                field,
                "invalid_postal_code",
                _("%(label)s must have seven digits, e.g. 060-0001.") % {"label": label},
            )
            return ""
        if not _known_postal_code(digits):
            self.warning(
                field,
                "unknown_postal_code",
                _("%(label)s %(code)s is not in Japan Post's data; check it.")
                % {"label": label, "code": digits},
            )
        # Written with the hyphen: unmistakably text (a spreadsheet keeps Hokkaido's leading 0).
        return f"{digits[:3]}-{digits[3:]}"
