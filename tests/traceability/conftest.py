"""Traceability fixtures: a donor and donated lots received through intake inspection (helpers to
move them on: tests/traceability/helpers.py)."""

import pytest

from inventory import intake, services
from tests.inventory.helpers import in_days

from .helpers import Donated, receive


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each test's files apart."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def donated(network, catalogue, coordinator, volunteer):
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


@pytest.fixture
def ebi_free(network, catalogue, coordinator):
    """The food bank's 「家庭向けパック（えび・かに不使用）」, named as the alternative of 家庭向けパック."""
    alt = services.upsert_pack_type(
        food_bank=network.food_bank, code="home-noebi", name="家庭向けパック（えび・かに不使用）", days=7
    )
    services.set_pack_recipe(
        pack_type=alt, lines=[(catalogue.noodles, 5), (catalogue.water, 4)], created_by=coordinator
    )
    services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[alt])
    return alt
