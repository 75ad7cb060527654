"""Inventory fixtures: pack types and items of the test network's food bank, and ``put_stock`` to
give a site a lot through the ledger (an adjustment with reason ``found``, as an opening count)."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import Item, MovementKind, PackType, ReasonCode

from .factories import ItemFactory, PackTypeFactory


@dataclass
class Catalogue:
    day1: PackType
    day3: PackType
    home: PackType
    noodles: Item
    rice: Item
    water: Item
    diapers: Item


@pytest.fixture
def catalogue(network, coordinator) -> Catalogue:
    fb = network.food_bank
    day1 = PackTypeFactory(food_bank=fb, code="day1", name="1日分セット", days=1, sort_order=1)
    day3 = PackTypeFactory(food_bank=fb, code="day3", name="3日分セット", days=3, sort_order=2)
    home = PackTypeFactory(food_bank=fb, code="home", name="家庭向けパック", days=7, sort_order=3)
    noodles = ItemFactory(food_bank=fb, code="noodles", name="カップ麺", weight_kg="0.080")
    rice = ItemFactory(food_bank=fb, code="rice", name="パックご飯", weight_kg="0.200")
    water = ItemFactory(food_bank=fb, code="water", name="飲料水", weight_kg="0.500")
    diapers = ItemFactory(food_bank=fb, code="diapers-m", name="紙おむつ M", category=Item.Category.BABY)
    services.set_pack_recipe(
        pack_type=day1, lines=[(noodles, 1), (rice, 2), (water, 1)], created_by=coordinator
    )
    services.set_pack_recipe(
        pack_type=day3, lines=[(noodles, 3), (rice, 6), (water, 3)], created_by=coordinator
    )
    services.set_pack_recipe(pack_type=home, lines=[(noodles, 5), (rice, 10)], created_by=coordinator)
    return Catalogue(day1, day3, home, noodles, rice, water, diapers)


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
