"""Inventory helpers: the ``Catalogue`` the ``catalogue`` fixture makes (tests/fixtures/inventory.py),
``put_stock`` to give a site a lot through the ledger (an adjustment with reason ``found``, as an
opening count), dates and a handout body."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from inventory import services
from inventory.models import Item, MovementKind, PackType, ReasonCode


@dataclass
class Catalogue:
    day1: PackType
    day3: PackType
    home: PackType
    noodles: Item
    rice: Item
    water: Item
    diapers: Item


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


_IN_90_DAYS = object()


def put_stock(site, *, quantity: int, pack_type=None, item=None, best_before=_IN_90_DAYS, user=None):
    """Give ``site`` ``quantity`` of a lot through the ledger (best-before in 90 days unless given;
    ``None`` for an undated lot)."""
    if best_before is _IN_90_DAYS:
        best_before = in_days(90)
    return services.record_adjustment(
        site=site,
        item=item,
        pack_type=pack_type,
        best_before=best_before,
        quantity=quantity,
        reason=ReasonCode.FOUND,
        kind=MovementKind.ADJUSTMENT,
        recorded_by=user,
    )


HANDOUT_3_PLUS_1 = {
    "lines": [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}],
    "household": {"size": 2, "type": "single_parent"},
    "referral_consent": True,
    "note": "ガス停止中",
}
