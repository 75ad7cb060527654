"""Writes to the shared core: organisations, sites and roles."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import postal
from .models import Membership, Organisation, Site, check_membership_scope
from .validators import validate_katakana_reading


def upsert_site(
    *,
    code: str,
    food_bank: Organisation,
    organisation: Organisation,
    kind: str,
    name: str,
    postal_code: str,
    address: str,
    name_kana: str = "",
    building: str = "",
    phone: str = "",
    opening_hours: str = "",
    active: bool = True,
    confidential: bool = False,
) -> Site:
    """Create or update the site with ``code``; the municipality and regional bureau come from the
    postal code (Japan Post data). Raises ValidationError for an unknown postal code or a reading
    that is not katakana."""
    name_kana = name_kana.strip()
    try:
        validate_katakana_reading(name_kana)
    except ValidationError as exc:
        raise ValidationError({"name_kana": exc}) from None
    area = postal.lookup(postal_code)
    if area is None:
        raise ValidationError({"postal_code": _("Unknown postal code.")})
    if organisation.food_bank_id_for_scope != food_bank.pk:
        raise ValidationError({"organisation": _("The organisation belongs to another food bank.")})
    site, _created = Site.objects.update_or_create(
        code=code,
        defaults={
            "food_bank": food_bank,
            "organisation": organisation,
            "kind": kind,
            "name": name,
            "name_kana": name_kana,
            "postal_code": area.postal_code,
            "prefecture": area.prefecture,
            "municipality": area.municipality,
            "municipality_code": area.municipality_code,
            "regional_bureau": area.regional_bureau,
            "address": address,
            "building": building,
            "phone": phone,
            "opening_hours": opening_hours,
            "active": active,
            "confidential": confidential,
        },
    )
    return site


@transaction.atomic
def grant_role(
    *, user: User | None, role: str, organisation: Organisation, site: Site | None = None
) -> Membership:
    """Give ``user`` a role scoped to ``organisation`` (and ``site``); idempotent."""
    check_membership_scope(role=role, organisation=organisation, site=site)
    membership, _created = Membership.objects.update_or_create(
        user=user,
        role=role,
        organisation=organisation,
        site=site,
        defaults={"food_bank_id": organisation.food_bank_id_for_scope, "active": True},
    )
    return membership
