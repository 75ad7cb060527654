"""The reports tests' seeded pair of fiscal years (FY2023, FY2024; the ``seed`` fixture of
tests/fixtures/reports.py), with rows on both sides of the fiscal-year boundary (31 March 23:59 vs
1 April 00:00 Asia/Tokyo).

Rows are written directly with their historical timestamps (the services stamp "now"); the report
only reads these tables. Expected figures are counted by hand in ``EXPECTED``.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from inventory.models import Handout, HandoutLine, RestockLine, RestockShipment
from referrals.models import DeliveryRequest, Recipient

JST = ZoneInfo("Asia/Tokyo")


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


@dataclass
class Seed:
    voided: Handout
    handouts: list


def handout(site, at, lines, *, household_type="single", voided_at=None):
    h = Handout.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        household_size=1,
        household_type=household_type,
        occurred_at=at,
        voided_at=voided_at,
    )
    for pack_type, quantity in lines:
        HandoutLine.objects.create(handout=h, pack_type=pack_type, quantity=quantity)
    return h


def parcel(
    food_bank,
    source,
    shipped_at,
    *,
    agency=None,
    household_type="single_parent",
    situation="welfare_pending",
    municipality="小樽市",
    bureau="shiribeshi",
):
    recipient = Recipient.objects.create(
        food_bank=food_bank,
        agency=agency,
        name="テスト",
        household_type=household_type,
        municipality=municipality,
        regional_bureau=bureau,
    )
    return DeliveryRequest.objects.create(
        food_bank=food_bank,
        source=source,
        agency=agency if source != "navi" else None,
        recipient=recipient,
        situation_category=situation,
        status="shipped" if shipped_at else "approved",
        shipped_at=shipped_at,
    )


def restock(network, packed_at, lines):
    shipment = RestockShipment.objects.create(
        food_bank=network.food_bank,
        from_site=network.warehouse,
        to_site=network.window_a,
        status="packed" if packed_at else "approved",
        origin="window",
        packed_at=packed_at,
    )
    for pack_type, quantity in lines:
        RestockLine.objects.create(shipment=shipment, pack_type=pack_type, quantity=quantity)
    return shipment


ZERO = dict.fromkeys(
    [
        "agency_parcels",
        "navi_parcels",
        "window_sets_shipped",
        "window_handouts",
        "window_visits",
        "pantry_backup",
    ],
    0,
)


def figures(**values) -> dict:
    return {**ZERO, **values}


# FY2024 by month (hand-counted from the seed), and FY2023 beside it.
EXPECTED = {
    "2024-04": figures(window_handouts=2, window_visits=1, navi_parcels=1, window_sets_shipped=15),
    "2024-08": figures(window_handouts=3, window_visits=1),
    "2024-12": figures(agency_parcels=1),
    "2025-01": figures(agency_parcels=1),
    "2025-03": figures(window_handouts=1, window_visits=1),
}
EXPECTED_PREVIOUS = {
    "2023-08": figures(window_handouts=1, window_visits=1),
    "2024-03": figures(window_handouts=2, window_visits=1, agency_parcels=1, window_sets_shipped=4),
}
