"""Traceability fixtures: a donor, donated lots received through intake inspection, and helpers to
move them through assembly, restocks, handouts and parcels with the real services."""

from dataclasses import dataclass

import pytest

from inventory import intake, services
from inventory.lot_models import Donor, Lot
from tests.inventory.conftest import catalogue, in_days, put_stock  # noqa: F401
from tests.shipping.conftest import _media_in_tmp, b2_account  # noqa: F401


@dataclass
class Donated:
    donor: Donor
    rice: Lot
    noodles: Lot
    water: Lot


def receive(site, donor, user, *lines: intake.InspectedLine):
    return intake.record_inspected_donation(site=site, donor=donor, lines=list(lines), checked_by=user)


@pytest.fixture
def donated(network, catalogue, coordinator, volunteer):  # noqa: F811
    """The warehouse received, from one company, 100 rice (with えび in the factory's line), 200
    noodles and 100 water: three donor lots."""
    donor = intake.save_donor(food_bank=network.food_bank, kind="company", name="北海道食品株式会社")
    receipt = receive(
        network.warehouse,
        donor,
        volunteer,
        intake.InspectedLine(
            item=catalogue.rice, quantity=100, best_before=in_days(200), allergens=["shrimp"]
        ),
        intake.InspectedLine(
            item=catalogue.noodles, quantity=200, best_before=in_days(150), allergens=["wheat"]
        ),
        intake.InspectedLine(item=catalogue.water, quantity=100, best_before=in_days(300)),
    )
    lots = {line.item.code: line.lot for line in receipt.lines.select_related("item", "lot")}
    return Donated(donor, lots["rice"], lots["noodles"], lots["water"])


def assemble(network, pack_type, quantity, user):
    assembly = services.assemble_packs(
        site=network.warehouse, pack_type=pack_type, quantity=quantity, recorded_by=user
    )
    return assembly.lot


def restock(network, window, pack_type, quantity, coordinator, window_user=None):
    shipment = services.request_restock(site=window, lines={pack_type: quantity}, requested_by=coordinator)
    services.approve_restock(shipment_id=shipment.pk, approved_by=coordinator)
    services.mark_restock_packed(shipment_id=shipment.pk, packed_by=coordinator)
    services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=window_user or coordinator)
    return shipment


@pytest.fixture
def ebi_free(network, catalogue, coordinator):  # noqa: F811
    """The food bank's 「家庭向けパック（えび・かに不使用）」, named as the alternative of 家庭向けパック."""
    alt = services.upsert_pack_type(
        food_bank=network.food_bank, code="home-noebi", name="家庭向けパック（えび・かに不使用）", days=7
    )
    services.set_pack_recipe(
        pack_type=alt, lines=[(catalogue.noodles, 5), (catalogue.water, 4)], created_by=coordinator
    )
    services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[alt])
    return alt
