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
