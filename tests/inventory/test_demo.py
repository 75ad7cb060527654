"""The demo data: stock at every window at once, and loading twice changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.forms.models import model_to_dict

from foodbank.models import Site
from inventory import models
from inventory.selectors import ledger_differences, pack_stock
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db

TABLES = [
    models.Item,
    models.PackType,
    models.PackRecipe,
    models.PackRecipeLine,
    models.Balance,
    models.StockMovement,
    models.DonationReceipt,
    models.Assembly,
    models.ParLevel,
    models.RestockShipment,
    models.Reservation,
]


def _snapshot():
    return {model.__name__: [model_to_dict(row) for row in model.objects.order_by("pk")] for model in TABLES}


def test_demo_inventory_loads_twice_without_changing_anything():
    call_command("load_demo_data", quiet=True)
    first = _snapshot()

    call_command("load_demo_data", quiet=True)

    assert _snapshot() == first
    assert ledger_differences() == []


def test_every_demo_window_can_hand_out_at_once():
    call_command("load_demo_data", quiet=True)

    for window in Site.objects.filter(kind=Site.Kind.WINDOW):
        stock = {row.pack_type.code: row.quantity for row in pack_stock(window)}
        assert stock["day1"] > 0, window
        assert stock["day3"] > 0, window

    # window_sapporo hands out 3+1 days through the API straight away
    user = get_user_model().objects.get(username="window_sapporo")
    site = Site.objects.get(code="window-sapporo")
    response = api_client_for(user).post(
        "/api/v1/handouts/",
        {
            "site": site.pk,
            "lines": [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}],
            "household": {"size": 1, "type": "single"},
        },
        format="json",
    )
    assert response.status_code == 201
