"""The pantry-backup figure comes from shipping's parcels: a pantry shipment counts once its parcel
is packed (and still does once handed over); a void parcel does not count."""

import pytest
from django.utils import timezone

from foodbank.models import Organisation
from reports import selectors
from shipping import services as shipping_services
from shipping.models import Parcel
from tests.factories import OrganisationFactory
from tests.shipping.integration import make_local_account, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


def pantry_shipment(network, catalogue, coordinator, partner):
    return shipping_services.create_pantry_shipment(
        food_bank_id=network.food_bank.pk,
        by=coordinator,
        partner=partner,
        pack_type=catalogue.day3,
        quantity=10,
        contact_name="佐藤 花子",
        postal_code="0600001",
        address="北海道札幌市中央区北一条西2丁目",
    )


def this_month(ids) -> dict:
    today = timezone.localdate()
    report = selectors.monthly_report(ids, selectors.fiscal_year_of(today))
    return next(m for m in report["months"] if m["month"] == today.strftime("%Y-%m"))


def test_a_shipped_pantry_shipment_counts_and_a_voided_one_does_not(
    network,
    coordinator,
    other_coordinator,
    stocked,
):
    # given two pantry shipments booked into one local batch
    partner = OrganisationFactory(
        code="kodomo", food_bank=network.food_bank, name="こども食堂", kind=Organisation.Kind.PANTRY_GROUP
    )
    shipped = pantry_shipment(network, stocked, coordinator, partner)
    voided = pantry_shipment(network, stocked, coordinator, partner)
    batch = run_batch(tomorrow_batch(make_local_account(network.food_bank)).pk)
    assert this_month([network.food_bank.pk])["pantry_backup"] == 0

    # when both are packed, the second voided (cancelled) and the batch handed over
    for shipment in (shipped, voided):
        shipping_services.mark_packed(parcel_id=Parcel.objects.get(pantry=shipment).pk, by=coordinator)
    shipping_services.void_parcel(
        parcel_id=Parcel.objects.get(pantry=voided).pk, by=coordinator, reason="cancel"
    )
    shipping_services.mark_handed_over(batch_id=batch.pk, by=coordinator)
    assert Parcel.objects.get(pantry=shipped).status == "handed_over"

    # then the month counts the shipped one only, for its own food bank only
    assert this_month([network.food_bank.pk])["pantry_backup"] == 1
    assert this_month([network.other_food_bank.pk])["pantry_backup"] == 0
