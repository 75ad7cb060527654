"""The plain input path of a delivery request's filing.

DeliveryRequestIn builds a deep copy of every nested serializer's fields for each request, which
cost about a quarter of a filing's CPU (docs/benchmarks.md). ``plain_delivery_request_input``
takes a plainly well-formed body without them and returns what DeliveryRequestIn's
``validated_data`` would be; anything else (a value DRF would coerce, an unknown key, any value it
would refuse) gives None, and DeliveryRequestIn then validates the body and words every error.
The checks across fields are the serializers' own functions (check_recipient, check_household,
check_extra, check_consent, _validate_delivery_date). tests/referrals/test_plain_input.py compares
both.
"""

import re
from datetime import date

from rest_framework import serializers

from foodbank.ids import MAX_ID
from foodbank.validators import BIDI_CONTROLS
from inventory import allergens

from .. import services
from ..models import ConsentRecord, ExtraItem, HouseholdType, SituationCategory, TimeSlot
from .consents import ConsentIn, check_consent
from .delivery_requests import (
    CookingIn,
    DeliveryRequestIn,
    DietaryIn,
    ExtraIn,
    SituationIn,
    _validate_delivery_date,
    check_extra,
)
from .recipients import HouseholdIn, RecipientIn, check_household, check_recipient


class _NotPlain(Exception):
    pass


_SURROGATES = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _obj(data, keys: frozenset[str]) -> dict:
    if type(data) is not dict or not data.keys() <= keys:
        raise _NotPlain
    return data


def _text(
    data: dict, key: str, max_length: int, *, required: bool = False, default=None, bidi: bool = False
) -> str:
    """A CharField's value: trimmed, not blank when required, within max_length, no NUL, surrogate or
    (for person fields) bidi control characters."""
    if key not in data:
        if required:
            raise _NotPlain
        return default if default is not None else ""
    value = data[key]
    if type(value) is not str:
        raise _NotPlain
    value = value.strip()
    if (
        (required and not value)
        or len(value) > max_length
        or "\x00" in value
        or _SURROGATES.search(value)
        or (bidi and not BIDI_CONTROLS.isdisjoint(value))
    ):
        raise _NotPlain
    return value


def _int(data: dict, key: str, low: int, high: int, *, default: int | None = None) -> int:
    if key not in data:
        if default is None:
            raise _NotPlain
        return default
    value = data[key]
    if type(value) is not int or not low <= value <= high:
        raise _NotPlain
    return value


def _bool(data: dict, key: str, *, default: bool | None = None, allow_null: bool = False) -> bool | None:
    if key not in data:
        if default is None and not allow_null:
            raise _NotPlain
        return default
    value = data[key]
    if type(value) is bool or (allow_null and value is None):
        return value
    raise _NotPlain


def _choice(data: dict, key: str, values, *, default: str | None = None) -> str:
    if key not in data:
        if default is None:
            raise _NotPlain
        return default
    value = data[key]
    if type(value) is not str or value not in values:
        raise _NotPlain
    return value


def _checked(check, attrs: dict) -> dict:
    try:
        return check(attrs)
    except serializers.ValidationError:
        raise _NotPlain from None


_TOP_KEYS = frozenset(DeliveryRequestIn._declared_fields)
_RECIPIENT_KEYS = frozenset(RecipientIn._declared_fields)
_HOUSEHOLD_KEYS = frozenset(HouseholdIn._declared_fields)
_SITUATION_KEYS = frozenset(SituationIn._declared_fields)
_CONSENT_KEYS = frozenset(ConsentIn._declared_fields)
_COOKING_KEYS = frozenset(CookingIn._declared_fields)
_DIETARY_KEYS = frozenset(DietaryIn._declared_fields)
_EXTRA_KEYS = frozenset(ExtraIn._declared_fields)
_ALLERGENS = frozenset(allergens.CODES)
_HOUSEHOLD_TYPES = frozenset(HouseholdType.values)
_SITUATIONS = frozenset(SituationCategory.values)
_EXTRA_ITEMS = frozenset(ExtraItem.values)
_TIME_SLOTS = frozenset(TimeSlot.values) | {""}  # allow_blank
_CONSENT_METHODS = frozenset(ConsentRecord.Method.values)
WORDING_VERSION = services.CONSENT_WORDING_VERSION


def plain_delivery_request_input(data) -> dict | None:
    """DeliveryRequestIn's ``validated_data`` for a plainly well-formed body, or None (see above)."""
    try:
        return _plain_request(data)
    except _NotPlain:
        return None


def _plain_request(data) -> dict:
    data = _obj(data, _TOP_KEYS)
    out: dict = {"days_needed": _int(data, "days_needed", 1, 31, default=7)}
    if "cooking" in data:
        cooking = _obj(data["cooking"], _COOKING_KEYS)
        out["cooking"] = {key: _bool(cooking, key, default=False) for key in CookingIn._declared_fields}
    if "dietary" in data:
        dietary = _obj(data["dietary"], _DIETARY_KEYS)
        codes = dietary.get("allergens", [])
        if (
            type(codes) is not list
            or len(codes) > len(allergens.CODES)
            or not all(type(c) is str and c in _ALLERGENS for c in codes)
        ):
            raise _NotPlain
        out["dietary"] = {
            "allergies": _text(dietary, "allergies", 500),
            "allergens": list(codes),
            "note": _text(dietary, "note", 1000),
        }
    extras = data.get("extras", [])
    if type(extras) is not list or len(extras) > 10:
        raise _NotPlain
    out["extras"] = [_plain_extra(extra) for extra in extras]
    out["delivery_date"] = _plain_date(data.get("delivery_date"))
    out["time_slot"] = _choice(data, "time_slot", _TIME_SLOTS, default="")
    out["recipient"] = _plain_recipient(_obj(data.get("recipient"), _RECIPIENT_KEYS))
    out["household"] = _plain_household(_obj(data.get("household"), _HOUSEHOLD_KEYS))
    situation = _obj(data.get("situation"), _SITUATION_KEYS)
    out["situation"] = {
        "category": _choice(situation, "category", _SITUATIONS),
        "note": _text(situation, "note", 2000),
        "no_food_today": _bool(situation, "no_food_today", default=False),
    }
    out["consent"] = _plain_consent(_obj(data.get("consent"), _CONSENT_KEYS))
    out["client_reference"] = _text(data, "client_reference", 64)
    agency = data.get("agency")
    if agency is not None and (type(agency) is not int or not 1 <= agency <= MAX_ID):
        raise _NotPlain
    out["agency"] = agency
    return out


def _plain_extra(extra) -> dict:
    extra = _obj(extra, _EXTRA_KEYS)
    attrs = {
        "item": _choice(extra, "item", _EXTRA_ITEMS),
        "size": _text(extra, "size", 16),
        "quantity": _int(extra, "quantity", 1, 20, default=1),
        "note": _text(extra, "note", 200),
    }
    return _checked(check_extra, attrs)


def _plain_date(value) -> date | None:
    if value is None:
        return None
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise _NotPlain
    try:
        return _checked(_validate_delivery_date, date.fromisoformat(value))
    except ValueError:
        raise _NotPlain from None


def _plain_recipient(recipient: dict) -> dict:
    attrs = {
        "postal_code": _text(recipient, "postal_code", 16, required=True),
        "prefecture": _text(recipient, "prefecture", 8),
        "municipality": _text(recipient, "municipality", 64),
        "address": _text(recipient, "address", 200, required=True, bidi=True),
        "building": _text(recipient, "building", 200, bidi=True),
        "name": _text(recipient, "name", 64, required=True, bidi=True),
        "name_kana": _text(recipient, "name_kana", 64, bidi=True),
        "phone": _text(recipient, "phone", 32),
    }
    return _checked(check_recipient, attrs)


def _plain_household(household: dict) -> dict:
    ages = household.get("children_ages", [])
    if type(ages) is not list or len(ages) > 20 or not all(type(a) is int and 0 <= a <= 17 for a in ages):
        raise _NotPlain
    attrs = {
        "type": _choice(household, "type", _HOUSEHOLD_TYPES),
        "adults": _int(household, "adults", 0, 20, default=1),
        "children": _int(household, "children", 0, 20, default=0),
        "children_ages": list(ages),
        "infants": _int(household, "infants", 0, 10, default=0),
        "elderly": _int(household, "elderly", 0, 20, default=0),
    }
    return _checked(check_household, attrs)


def _plain_consent(consent: dict) -> dict:
    if consent.get("given_at") is not None:  # a time: DeliveryRequestIn parses it
        raise _NotPlain
    attrs = {
        "method": _choice(consent, "method", _CONSENT_METHODS, default=ConsentRecord.Method.SIGNED_FORM),
        "witness_name": _text(consent, "witness_name", 100),
        # Blank is refused when given (no allow_blank); absent, the current wording.
        "wording_version": _text(
            consent, "wording_version", 32, required="wording_version" in consent, default=WORDING_VERSION
        ),
        "by_guardian": _bool(consent, "by_guardian", default=False),
        "guardian_name": _text(consent, "guardian_name", 100),
        "share_with_foodbank": _bool(consent, "share_with_foodbank"),
        "referral": _bool(consent, "referral", allow_null=True),
        "phone_contact": _bool(consent, "phone_contact", allow_null=True),
        "given_at": None,
    }
    return _checked(check_consent, attrs)
