"""Donations in: a donation receipt and the ``receipt`` movements of its lines."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Site

from .. import locks
from ..lots import donation_lots
from ..models import DonationReceipt, DonationReceiptLine, Item, MovementKind, StockMovement
from .ledger import Key, _check_time, _ensure_lots, _movement, _same_tenant, _update_balances


@dataclass(frozen=True)
class ReceiptLineIn:
    item: Item
    quantity: int
    best_before: date | None = None


@transaction.atomic
def record_donation_receipt(
    *,
    site: Site,
    donor_type: str,
    weight_kg: Decimal | float | str,
    lines: Sequence[ReceiptLineIn],
    donor_name: str = "",
    reference: str = "",
    note: str = "",
    received_at: datetime | None = None,
    recorded_by: User | None = None,
) -> DonationReceipt:
    """Receive donated food at ``site``: one ``receipt`` movement per line (its best-before is the lot).

    Locks the receiving lots (created when new) in primary-key order. A receipt with the same
    non-empty ``reference`` is returned as it is (a retried import books nothing twice).
    """
    if reference:
        existing = DonationReceipt.objects.filter(food_bank_id=site.food_bank_id, reference=reference).first()
        if existing is not None:
            return existing
    if not lines:
        raise ValidationError({"lines": _("A receipt needs at least one line.")})
    _same_tenant(site, *(line.item for line in lines))
    now = timezone.now()
    receipt = DonationReceipt.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        donor_type=donor_type,
        donor_name=donor_name,
        weight_kg=Decimal(str(weight_kg)),
        reference=reference,
        note=note,
        received_at=_check_time(received_at, now),
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    DonationReceiptLine.objects.bulk_create(
        [
            DonationReceiptLine(
                receipt=receipt, item=line.item, quantity=line.quantity, best_before=line.best_before
            )
            for line in lines
        ]
    )
    return book_receipt(receipt=receipt)


@transaction.atomic
def book_receipt(*, receipt: DonationReceipt) -> DonationReceipt:
    """Write the ledger movements of a receipt whose lines are saved (the admin adds receipts this
    way). Does nothing when the receipt is booked already."""
    receipt = locks.lock_receipt(receipt.pk)
    if receipt.booked_at is not None:
        return receipt
    site = receipt.site
    lines = list(receipt.lines.all())
    if not lines:
        raise ValidationError({"lines": _("A receipt needs at least one line.")})
    _same_tenant(site, *(line.item for line in lines))
    # Each accepted line is a lot of its own; a rejected line never enters stock (inventory.intake).
    lots = donation_lots(receipt=receipt, lines=lines)
    totals: dict[Key, int] = defaultdict(int)
    for line in lines:
        if line.accepted:
            totals[(line.item_id, None, line.best_before, lots[line.pk].pk)] += line.quantity
    if not totals:
        receipt.booked_at = timezone.now()
        receipt.save(update_fields=["booked_at"])
        return receipt
    rows = _ensure_lots(site=site, keys=totals)
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=key,
                quantity=quantity,
                kind=MovementKind.RECEIPT,
                occurred_at=receipt.received_at,
                recorded_by=receipt.recorded_by,
                receipt=receipt,
            )
            for key, quantity in totals.items()
        ]
    )
    _update_balances({rows[key].pk: (quantity, 0) for key, quantity in totals.items()})
    receipt.booked_at = timezone.now()
    receipt.save(update_fields=["booked_at"])
    return receipt
