"""The demo shows traceability at once: donors, an inspected donation with allergens and a rejected
line, and a recalled lot whose trail reaches the packs made from it; loading twice changes nothing."""

import pytest
from django.core.management import call_command

from inventory.lot_models import Donor, Lot, Recall
from inventory.models import DonationReceiptLine, StockMovement
from inventory.selectors import ledger_differences
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db


def test_the_demo_has_donors_an_inspected_donation_and_a_recalled_lot_with_its_trail(django_user_model):
    call_command("load_demo_data")
    counts = (Donor.objects.count(), Recall.objects.count(), StockMovement.objects.count())
    call_command("load_demo_data")

    assert (Donor.objects.count(), Recall.objects.count(), StockMovement.objects.count()) == counts
    assert Donor.objects.count() == 3
    assert DonationReceiptLine.objects.filter(accepted=False, reject_reason="damaged").count() == 1
    recall = Recall.objects.get()
    assert recall.lot.allergens == ["mackerel", "soybean"]
    assert Lot.objects.filter(kind=Lot.Kind.PACK, quarantined_at__isnull=False).exists()
    coordinator = django_user_model.objects.get(username="coordinator")
    trace = api_client_for(coordinator).get(f"/api/v1/recalls/{recall.pk}/").json()["trace"]
    assert trace["assembled"]
    assert trace["totals"]["quarantined"] > 0
    assert ledger_differences() == []
