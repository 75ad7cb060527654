"""Journey fixtures: a stocked warehouse (and, from tests/fixtures/shipping.py, Yamato through B2
Cloud: ``b2_account``), as a food bank runs them."""

import pytest

from tests.inventory.helpers import put_stock


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each test's files apart."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def stocked(network, catalogue):
    """The warehouse holds 50 of each pack type."""
    for pack_type in (catalogue.day1, catalogue.day3, catalogue.home):
        put_stock(network.warehouse, pack_type=pack_type, quantity=50)
    return catalogue
