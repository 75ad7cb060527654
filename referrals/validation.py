"""Checks of recipients' contact data shared by the API serializers and the web form.

Each function raises ``FieldErrors`` (field name → messages) so both callers can report the error
on the field the person typed it in.
"""

import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _

from foodbank import postal
from foodbank.exceptions import FieldErrors
from foodbank.postal import PostalArea

# Dashes people type in addresses (hyphen, minus, full-width and long dashes) → "-". Not "ー",
# the katakana long vowel mark in names such as コーポ.
_DASHES = re.compile("[\u2010-\u2015\u2212\uff0d]")

# Numbers a courier or a case worker can call a person on (not toll-free or premium lines).
_PERSONAL_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
}


def normalise_phone(raw: str) -> str:
    """The Japanese phone number in ``raw`` in E.164 form (+81…), or FieldErrors on ``phone``."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 81
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _PERSONAL_NUMBER_TYPES
    ):
        raise FieldErrors(
            {"phone": [_("Enter a Japanese phone number, e.g. 090-1234-5678 or 011-123-4567.")]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Mobile, IP and M2M numbers (020, 050, 070, 080, 090 and eight digits) are written 0X0-XXXX-XXXX;
# 0800 (toll-free, also eleven digits) is not. phonenumbers gives the same, at 20 times the cost,
# which counts when a dispatch batch formats 10,000 of them (tests/referrals/test_validation.py).
_MOBILE_E164 = re.compile(r"\+81([2579]0|80)(\d{4})(\d{4})")


def display_phone(e164: str) -> str:
    """A stored number the way people write it in Japan (090-1234-5678)."""
    if not e164:
        return ""
    mobile = _MOBILE_E164.fullmatch(e164)
    if mobile and not e164.startswith("+81800"):
        return "0{}-{}-{}".format(*mobile.groups())
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def resolve_address(*, postal_code: str, prefecture: str = "", municipality: str = "") -> PostalArea:
    """The area of ``postal_code`` (Japan Post data), checked against a prefecture and municipality
    if the caller gave them. Raises FieldErrors naming the field that does not fit."""
    try:
        area = postal.lookup(postal_code)
    except ValueError:
        raise FieldErrors({"postal_code": [_("A postal code has seven digits, e.g. 060-0001.")]}) from None
    if area is None:
        raise FieldErrors({"postal_code": [_("Unknown postal code. Please check it.")]})
    errors: dict[str, list[str]] = {}
    prefecture = unicodedata.normalize("NFKC", prefecture or "").strip()
    municipality = unicodedata.normalize("NFKC", municipality or "").strip()
    if prefecture and prefecture != area.prefecture:
        message = _("The postal code %(code)s is in %(prefecture)s, not in %(given)s.") % {
            "code": area.postal_code,
            "prefecture": area.prefecture,
            "given": prefecture,
        }
        errors["postal_code"] = [message]
        errors["prefecture"] = [message]
    elif municipality and municipality != area.municipality:
        message = _("The postal code %(code)s is in %(municipality)s, not in %(given)s.") % {
            "code": area.postal_code,
            "municipality": area.municipality,
            "given": municipality,
        }
        errors["postal_code"] = [message]
        errors["municipality"] = [message]
    if errors:
        raise FieldErrors(errors)
    return area


def street_part(address: str, area: PostalArea) -> str:
    """The street address without a leading prefecture and municipality (people often type the
    whole address; the label prints prefecture and municipality from the postal code)."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", address or "")).strip()
    for prefix in (area.prefecture, area.municipality):
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :].strip()
    return text
