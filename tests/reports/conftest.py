"""A seeded pair of fiscal years (FY2023, FY2024) for the reports tests, with rows on both sides of
the fiscal-year boundary (31 March 23:59 vs 1 April 00:00 Asia/Tokyo).

Rows are written directly with their historical timestamps (the services stamp "now"); the report
only reads these tables. Expected figures are counted by hand in ``EXPECTED``.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory.models import DonationReceipt, Handout, HandoutLine, RestockLine, RestockShipment
from referrals.models import DeliveryRequest, NaviApplication, Recipient
from tests.inventory.conftest import catalogue  # noqa: F401 (fixture)

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


@pytest.fixture
def seed(network, catalogue):  # noqa: F811
    c, n, fb = catalogue, network, network.food_bank
    handouts = [
        # April 2024, first minute of FY2024: a 3-day + 1-day handout is two sets, one visit.
        handout(
            n.window_a, jst(2024, 4, 1, 0, 0), [(c.day3, 1), (c.day1, 1)], household_type="single_parent"
        ),
        # Last minute of FY2023 (March 2024: the previous year of March 2025).
        handout(n.window_a, jst(2024, 3, 31, 23, 59), [(c.day1, 2)]),
        # Last minute of FY2024.
        handout(n.window_a, jst(2025, 3, 31, 23, 59), [(c.day3, 1)]),
        # First minute of FY2025: in neither year.
        handout(n.window_a, jst(2025, 4, 1, 0, 0), [(c.day1, 1)]),
        # Obon 2024 at the Asahikawa window: one visit, three sets.
        handout(n.window_b, jst(2024, 8, 15, 10, 0), [(c.day3, 1), (c.day1, 2)], household_type="single"),
        # Obon 2023: the previous year's August.
        handout(n.window_a, jst(2023, 8, 14, 10, 0), [(c.day3, 1)]),
        # Another food bank's handout: never in this report.
        handout(n.other_window, jst(2024, 4, 5, 10, 0), [(c.day3, 1)]),
    ]
    voided = handout(n.window_a, jst(2024, 8, 10, 10, 0), [(c.day3, 2)], voided_at=jst(2024, 8, 10, 11, 0))
    parcel(fb, "agency", jst(2024, 12, 20, 10, 0), agency=n.agency_a)
    parcel(
        fb,
        "navi",
        jst(2024, 4, 30, 23, 59),
        household_type="single",
        situation="job_loss",
        municipality="札幌市北区",
        bureau="ishikari",
    )
    parcel(fb, "programme", jst(2025, 1, 5, 9, 0), agency=n.agency_a)
    parcel(fb, "agency", jst(2024, 3, 31, 23, 59), agency=n.agency_a)
    parcel(fb, "agency", None, agency=n.agency_a)  # approved, not shipped
    parcel(n.other_food_bank, "agency", jst(2024, 12, 1, 10, 0), agency=n.other_agency)
    restock(n, jst(2024, 4, 1, 0, 0), [(c.day1, 10), (c.day3, 5)])
    restock(n, jst(2024, 3, 31, 23, 59), [(c.day1, 4)])
    restock(n, None, [(c.day1, 7)])  # approved, still at the warehouse
    requests = DeliveryRequest.objects.filter(source="navi")
    NaviApplication.objects.create(
        food_bank=fb,
        delivery_request=requests[0],
        application_id="N-1",
        household_type="single",
        first_time_at_food_bank=True,
        has_someone_to_consult=False,
        wants_referral=True,
    )
    NaviApplication.objects.filter(application_id="N-1").update(received_at=jst(2024, 4, 29, 12, 0))
    DonationReceipt.objects.create(
        food_bank=fb,
        site=n.warehouse,
        donor_type="company",
        weight_kg=Decimal("120.50"),
        received_at=jst(2024, 4, 1, 0, 0),
    )
    DonationReceipt.objects.create(
        food_bank=fb,
        site=n.warehouse,
        donor_type="farm",
        weight_kg=Decimal("30.00"),
        received_at=jst(2024, 3, 31, 23, 59),
    )
    return Seed(voided=voided, handouts=handouts)


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
