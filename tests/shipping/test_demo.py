"""Demo data: two carrier accounts with a neutral sender; loading twice changes nothing."""

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from shipping.models import FORBIDDEN_SENDER_WORDS, CarrierAccount

pytestmark = pytest.mark.django_db


def test_demo_accounts_load_once_with_a_neutral_sender():
    call_command("load_demo_data", verbosity=0)
    first = [model_to_dict(a) for a in CarrierAccount.objects.order_by("pk")]
    call_command("load_demo_data", verbosity=0)
    assert [model_to_dict(a) for a in CarrierAccount.objects.order_by("pk")] == first
    assert sorted(a["carrier"] for a in first) == ["local", "yamato"]
    for account in CarrierAccount.objects.all():
        account.full_clean()
        assert not any(word in account.sender_name for word in FORBIDDEN_SENDER_WORDS)


def test_a_food_bank_sender_name_is_refused(network):
    from django.core.exceptions import ValidationError

    account = CarrierAccount(
        food_bank=network.food_bank, name="x", carrier="local", sender_name="フードバンク北"
    )
    with pytest.raises(ValidationError):
        account.full_clean()


def test_demo_has_a_pantry_group_with_one_shipment_waiting_once():
    from shipping.models import PantryShipment

    call_command("load_demo_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)

    shipment = PantryShipment.objects.select_related("partner").get()
    assert (shipment.partner.kind, shipment.status) == ("pantry_group", "approved")
