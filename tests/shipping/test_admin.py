"""The shipping admin: every changelist and change page renders; carrier accounts are editable,
the rest read-only; opening a request's parcel is recorded as a view of the person's data."""

import pytest

from foodbank.models import AuditEvent, Organisation
from shipping import services
from shipping.models import (
    BatchChunk,
    BatchDocument,
    CarrierAccount,
    DispatchBatch,
    PantryShipment,
    Parcel,
    ParcelEvent,
)
from tests.factories import OrganisationFactory

from .integration import approved_requests, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_coordinator(client, coordinator):
    coordinator.is_staff = True
    coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    return client


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    partner = OrganisationFactory(
        code="kodomo", food_bank=network.food_bank, name="こども食堂", kind=Organisation.Kind.PANTRY_GROUP
    )
    services.create_pantry_shipment(
        food_bank_id=network.food_bank.pk,
        by=coordinator,
        partner=partner,
        pack_type=stocked.day1,
        quantity=3,
        contact_name="佐藤",
        postal_code="0600001",
        address="北海道札幌市中央区北一条西2丁目",
    )
    return run_batch(tomorrow_batch(b2_account).pk)


MODELS = [CarrierAccount, Parcel, ParcelEvent, DispatchBatch, BatchChunk, BatchDocument, PantryShipment]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_page_render(admin_client_with_coordinator, built, model):
    name = model._meta.model_name
    obj = model.objects.order_by("pk").first()

    listing = admin_client_with_coordinator.get(f"/admin/shipping/{name}/")
    searched = admin_client_with_coordinator.get(f"/admin/shipping/{name}/", {"q": "1"})
    page = admin_client_with_coordinator.get(f"/admin/shipping/{name}/{obj.pk}/change/")

    assert (listing.status_code, searched.status_code, page.status_code) == (200, 200, 200)


def test_parcel_list_shows_no_names_and_the_page_no_phone(admin_client_with_coordinator, built, coordinator):
    parcel = Parcel.objects.exclude(delivery_request=None).get()

    listing = admin_client_with_coordinator.get("/admin/shipping/parcel/").content.decode()
    page = admin_client_with_coordinator.get(f"/admin/shipping/parcel/{parcel.pk}/change/").content.decode()

    assert parcel.reference in listing
    assert parcel.recipient_name not in listing
    assert parcel.recipient_phone
    assert parcel.recipient_phone not in page
    assert 'name="_save"' not in page
    event = AuditEvent.objects.get(action="view", object_type="parcel")
    assert (event.actor, event.object_id, event.detail) == (coordinator, str(parcel.pk), {"via": "admin"})


def test_carrier_account_is_editable_and_refuses_the_food_banks_name(
    admin_client_with_coordinator, b2_account
):
    page = admin_client_with_coordinator.get(f"/admin/shipping/carrieraccount/{b2_account.pk}/change/")
    assert 'name="_save"' in page.content.decode()
    form = {
        field: getattr(b2_account, field)
        for field in [
            "name",
            "carrier",
            "billing_customer_code",
            "billing_class_code",
            "freight_number",
            "default_item_name",
            "sender_name_kana",
            "sender_phone",
            "sender_postal_code",
            "sender_address",
            "sender_building",
            "pickup_weekdays",
        ]
    }
    form.update({"food_bank": b2_account.food_bank_id, "cutoff": "", "takes_requests": "on", "active": "on"})

    refused = admin_client_with_coordinator.post(
        f"/admin/shipping/carrieraccount/{b2_account.pk}/change/", {**form, "sender_name": "フードバンク北"}
    )
    saved = admin_client_with_coordinator.post(
        f"/admin/shipping/carrieraccount/{b2_account.pk}/change/", {**form, "sender_name": "北物流センター"}
    )

    assert refused.status_code == 200
    assert saved.status_code == 302
    b2_account.refresh_from_db()
    assert b2_account.sender_name == "北物流センター"
