"""Journey fixtures: a stocked warehouse and Yamato through B2 Cloud, as a food bank runs them."""

import pytest

from tests.inventory.conftest import catalogue, put_stock  # noqa: F401
from tests.shipping.integration import make_b2_account


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each test's files apart."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def b2_account(network):
    return make_b2_account(network.food_bank)


@pytest.fixture
def stocked(network, catalogue):  # noqa: F811
    """The warehouse holds 50 of each pack type."""
    for pack_type in (catalogue.day1, catalogue.day3, catalogue.home):
        put_stock(network.warehouse, pack_type=pack_type, quantity=50)
    return catalogue
