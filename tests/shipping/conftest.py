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


# Integration fixtures (models, batches): ``b2_account``, ``local_account`` and ``stocked`` are
# shared with other folders (tests/fixtures/shipping.py).


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each test's files apart."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
