"""Builders for the shipping integration tests: carrier accounts, approved requests, and running a
batch's steps in this process (the real-worker test runs them through Celery instead)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from referrals import services as referral_services
from referrals.models import DeliveryRequest
from shipping import services
from shipping.models import CarrierAccount, DispatchBatch
from tests.referrals.factories import file_request


def make_b2_account(food_bank, **changes) -> CarrierAccount:
    values = {
        "food_bank": food_bank,
        "name": "ヤマト（B2クラウド）",
        "carrier": "yamato",
        "billing_customer_code": "011234567801",
        "freight_number": "01",
        "sender_name": "SK物流センター",
        "sender_phone": "011-555-0100",
        "sender_postal_code": "0650012",
        "sender_address": "北海道札幌市東区北十二条東3丁目1-1",
        "pickup_weekdays": "0123456",
        "takes_requests": True,
    }
    values.update(changes)
    return CarrierAccount.objects.create(**values)


def make_local_account(food_bank, **changes) -> CarrierAccount:
    values = {
        "food_bank": food_bank,
        "name": "自社便・引き取り",
        "carrier": "local",
        "sender_name": "SK物流センター",
        "sender_phone": "011-555-0100",
        "sender_postal_code": "0650012",
        "sender_address": "北海道札幌市東区北十二条東3丁目1-1",
        "pickup_weekdays": "0123456",
        "takes_requests": False,
        "takes_restocks": True,
        "takes_pantry": True,
    }
    values.update(changes)
    return CarrierAccount.objects.create(**values)


def approved_requests(
    n: int, *, case_worker, agency, coordinator, approved_at=None, **needs
) -> list[DeliveryRequest]:
    """``n`` approved delivery requests (approved ``approved_at``, default an hour ago), each for
    one person unless ``needs`` say otherwise: one pack per parcel (inventory.sizing)."""
    out = []
    for _ in range(n):
        needs.setdefault("household_type", "single")
        needs.setdefault("children", 0)
        needs.setdefault("infants", 0)
        request = file_request(case_worker, agency, **needs)
        referral_services.approve_request(request_id=request.pk, by=coordinator)
        out.append(request)
    when = approved_at or timezone.now() - timedelta(hours=1)
    DeliveryRequest.objects.filter(pk__in=[r.pk for r in out]).update(approved_at=when)
    return out


def at_local(day, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=timezone.get_current_timezone())


def run_batch(batch_id: int) -> DispatchBatch:
    """Every step of a batch in this process, in order (what the workers do)."""
    services.plan_batch(batch_id=batch_id)
    batch = DispatchBatch.objects.get(pk=batch_id)
    for index in range(batch.chunk_count):
        services.build_chunk(batch_id=batch_id, index=index)
    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    for kind in services.document_kinds(batch.account):
        services.build_document(batch_id=batch_id, kind=kind)
    return DispatchBatch.objects.get(pk=batch_id)


def tomorrow_batch(account) -> DispatchBatch:
    """Today's batch of ``account`` with a cutoff in the future (so that requests approved an hour
    ago are in), opened without the beat job."""
    today = timezone.localdate()
    batch, _created = services.open_batch(account_id=account.pk, ship_date=today)
    DispatchBatch.objects.filter(pk=batch.pk).update(cutoff_at=timezone.now() + timedelta(minutes=1))
    return batch
