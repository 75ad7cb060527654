import pytest

from shipping.carriers import get_carrier

from .factories import make_account


@pytest.fixture
def yamato():
    return get_carrier("yamato")


@pytest.fixture
def local():
    return get_carrier("local")


@pytest.fixture
def account():
    return make_account()


# --- Integration fixtures (models, batches) -------------------------------------------------------

from datetime import timedelta  # noqa: E402

from django.utils import timezone  # noqa: E402

from tests.inventory.conftest import catalogue, put_stock  # noqa: E402, F401

from .integration import make_b2_account, make_local_account  # noqa: E402


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each test's files apart."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def b2_account(network):
    return make_b2_account(network.food_bank)


@pytest.fixture
def local_account(network):
    return make_local_account(network.food_bank)


@pytest.fixture
def stocked(network, catalogue, coordinator):  # noqa: F811
    """The warehouse holds 200 sets of each pack type, two lots of day3 (FEFO order matters)."""
    put_stock(network.warehouse, pack_type=catalogue.day1, quantity=200)
    put_stock(
        network.warehouse,
        pack_type=catalogue.day3,
        quantity=100,
        best_before=timezone.localdate() + timedelta(days=30),
    )
    put_stock(
        network.warehouse,
        pack_type=catalogue.day3,
        quantity=100,
        best_before=timezone.localdate() + timedelta(days=60),
    )
    put_stock(network.warehouse, pack_type=catalogue.home, quantity=200)
    return catalogue
