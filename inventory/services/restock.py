"""Restocking a window from its warehouse: the window's par levels, then a shipment's request,
approval, booking into a dispatch batch (by the shipping app), packing, and the window's
confirmation of receipt.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.exceptions import InvalidTransition
from foodbank.models import Site

from .. import locks
from ..models import (
    MovementKind,
    PackType,
    ParLevel,
    Reservation,
    RestockLine,
    RestockShipment,
    StockMovement,
)
from .ledger import Key, StockNeed, _check_time, _ensure_lots, _key, _movement, _same_tenant, _update_balances
from .reservations import consume_reservation, release_reservation, reserve_stock, return_packed_stock


@transaction.atomic
def set_par_level(*, site: Site, pack_type: PackType, par: int) -> ParLevel:
    if site.kind != Site.Kind.WINDOW:
        raise ValidationError({"site": _("Par levels are set for consultation windows.")})
    _same_tenant(site, pack_type)
    level, _created = ParLevel.objects.update_or_create(
        site=site, pack_type=pack_type, defaults={"food_bank_id": site.food_bank_id, "par": par}
    )
    return level


def default_warehouse(food_bank_id: int) -> Site:
    warehouse = (
        Site.objects.filter(food_bank_id=food_bank_id, kind=Site.Kind.WAREHOUSE, active=True)
        .order_by("pk")
        .first()
    )
    if warehouse is None:
        raise ValidationError(_("The food bank has no active warehouse."))
    return warehouse


@transaction.atomic
def request_restock(
    *,
    site: Site,
    lines: Mapping[PackType, int],
    requested_by: User | None,
    note: str = "",
    origin: str = RestockShipment.Origin.WINDOW,
) -> RestockShipment:
    """A window asks for sets (status ``requested``); a coordinator approves it."""
    if site.kind != Site.Kind.WINDOW:
        raise ValidationError({"site": _("Restocks go to consultation windows.")})
    lines = {pack_type: q for pack_type, q in lines.items() if q}
    if not lines or any(q < 0 for q in lines.values()):
        raise ValidationError({"lines": _("Ask for at least one set.")})
    _same_tenant(site, *lines)
    shipment = RestockShipment.objects.create(
        food_bank_id=site.food_bank_id,
        from_site=default_warehouse(site.food_bank_id),
        to_site=site,
        status=RestockShipment.Status.REQUESTED,
        origin=origin,
        note=note,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
    )
    RestockLine.objects.bulk_create(
        [RestockLine(shipment=shipment, pack_type=pack_type, quantity=q) for pack_type, q in lines.items()]
    )
    return shipment


def _transition(shipment: RestockShipment, allowed: Iterable[str]) -> None:
    if shipment.status not in allowed:
        raise InvalidTransition(
            _("The restock shipment is %(status)s.") % {"status": shipment.get_status_display()},
            status=shipment.status,
        )


@transaction.atomic
def approve_restock(
    *, shipment_id: int, approved_by: User | None, quantities: Mapping[int, int] | None = None
) -> RestockShipment:
    """Approve a requested or proposed restock, optionally changing quantities (pack type id → sets;
    0 drops the line). The shipping app then books it into a dispatch batch."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.APPROVED and quantities is None:
        return shipment
    _transition(shipment, [RestockShipment.Status.REQUESTED, RestockShipment.Status.PROPOSED])
    if quantities is not None:
        lines = {line.pack_type_id: line for line in shipment.lines.all()}
        for pack_type_id, quantity in quantities.items():
            line = lines.get(pack_type_id)
            if line is None and quantity:
                pack_type = PackType.objects.get(pk=pack_type_id, food_bank_id=shipment.food_bank_id)
                RestockLine.objects.create(shipment=shipment, pack_type=pack_type, quantity=quantity)
            elif line is not None and quantity:
                RestockLine.objects.filter(pk=line.pk).update(quantity=quantity)
            elif line is not None:
                line.delete()
        if not shipment.lines.exists():
            raise ValidationError({"lines": _("Ask for at least one set.")})
    shipment.status = RestockShipment.Status.APPROVED
    shipment.approved_at = timezone.now()
    shipment.approved_by = approved_by if getattr(approved_by, "pk", None) else None
    shipment.save(update_fields=["status", "approved_at", "approved_by"])
    return shipment


@transaction.atomic
def cancel_restock(*, shipment_id: int) -> RestockShipment:
    """Cancel a restock that has not left the warehouse; a booked one gives its reserved stock back.
    Cancelling twice changes nothing; a packed or received one raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.CANCELLED:
        return shipment
    _transition(
        shipment,
        [
            RestockShipment.Status.PROPOSED,
            RestockShipment.Status.REQUESTED,
            RestockShipment.Status.APPROVED,
            RestockShipment.Status.BOOKED,
        ],
    )
    if shipment.status == RestockShipment.Status.BOOKED:
        release_reservation(reference=shipment.reservation_reference)
    shipment.status = RestockShipment.Status.CANCELLED
    shipment.cancelled_at = timezone.now()
    shipment.save(update_fields=["status", "cancelled_at"])
    return shipment


def _restock_needs(shipment: RestockShipment) -> list[StockNeed]:
    return [
        StockNeed(pack_type=line.pack_type, quantity=line.quantity)
        for line in shipment.lines.select_related("pack_type")
    ]


@transaction.atomic
def mark_restock_booked(*, shipment_id: int, dispatch_reference: str) -> RestockShipment:
    """Shipping booked an approved restock into a dispatch batch: the warehouse's sets are reserved
    (FEFO) under ``"restock:<id>"``. Locks the shipment, then the reservation and lots. Calling it
    again with the same ``dispatch_reference`` changes nothing. Raises InsufficientStock (nothing
    written, still approved) when the warehouse is short, InvalidTransition from any other status."""
    shipment = locks.lock_restock_shipment(shipment_id)
    already = (RestockShipment.Status.BOOKED, RestockShipment.Status.PACKED, RestockShipment.Status.RECEIVED)
    if shipment.status in already and shipment.dispatch_reference == dispatch_reference:
        return shipment
    _transition(shipment, [RestockShipment.Status.APPROVED])
    reserve_stock(
        site=shipment.from_site, lines=_restock_needs(shipment), reference=shipment.reservation_reference
    )
    shipment.status = RestockShipment.Status.BOOKED
    shipment.dispatch_reference = dispatch_reference
    shipment.booked_at = timezone.now()
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at"])
    return shipment


@transaction.atomic
def unbook_restock(*, shipment_id: int) -> RestockShipment:
    """Shipping took a booked restock out of its batch: the reservation is released and the shipment
    is approved again (ready for the next batch). Unbooking an approved one changes nothing."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.APPROVED:
        return shipment
    _transition(shipment, [RestockShipment.Status.BOOKED])
    release_reservation(reference=shipment.reservation_reference)
    shipment.status = RestockShipment.Status.APPROVED
    shipment.dispatch_reference = ""
    shipment.booked_at = None
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at"])
    return shipment


@transaction.atomic
def unpack_restock(*, shipment_id: int, recorded_by: User | None) -> RestockShipment:
    """Shipping voided the parcel of a packed restock before it left the warehouse: the box is
    unpacked, its sets go back to the lots they came from (``return_packed_stock``) and the shipment
    is approved again, ready for the next batch (``cancel_restock`` may follow). Locks the shipment,
    then the reservation and lots. A booked shipment is unbooked (``unbook_restock``); an approved
    one changes nothing; a received or cancelled one raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status in (RestockShipment.Status.APPROVED, RestockShipment.Status.BOOKED):
        return unbook_restock(shipment_id=shipment_id)
    _transition(shipment, [RestockShipment.Status.PACKED])
    return_packed_stock(reference=shipment.reservation_reference, recorded_by=recorded_by)
    shipment.status = RestockShipment.Status.APPROVED
    shipment.dispatch_reference = ""
    shipment.booked_at = None
    shipment.packed_at = None
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at", "packed_at"])
    return shipment


@transaction.atomic
def mark_restock_packed(
    *, shipment_id: int, packed_by: User | None = None, occurred_at: datetime | None = None
) -> RestockShipment:
    """The restock left the warehouse: its reserved lots are written out as ``transfer_out`` and are
    in transit until the window confirms. From ``approved`` (no dispatch batch: hand delivery) the
    stock is reserved and packed in one go. Packing twice changes nothing."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status in (RestockShipment.Status.PACKED, RestockShipment.Status.RECEIVED):
        return shipment
    _transition(shipment, [RestockShipment.Status.APPROVED, RestockShipment.Status.BOOKED])
    if shipment.status == RestockShipment.Status.APPROVED:
        reserve_stock(
            site=shipment.from_site, lines=_restock_needs(shipment), reference=shipment.reservation_reference
        )
    consume_reservation(
        reference=shipment.reservation_reference,
        recorded_by=packed_by,
        occurred_at=occurred_at,
        kind=MovementKind.TRANSFER_OUT,
        restock=shipment,
    )
    shipment.status = RestockShipment.Status.PACKED
    shipment.packed_at = occurred_at or timezone.now()
    shipment.save(update_fields=["status", "packed_at"])
    return shipment


@transaction.atomic
def confirm_restock_receipt(
    *, shipment_id: int, received_by: User | None, occurred_at: datetime | None = None
) -> RestockShipment:
    """The window confirms the sets arrived: the lots that left the warehouse come in as
    ``transfer_in`` at the window, best-before dates kept. Locks the shipment, then the window's lots.
    Confirming twice changes nothing; before it was packed raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.RECEIVED:
        return shipment
    _transition(shipment, [RestockShipment.Status.PACKED])
    reservation = Reservation.objects.get(reference=shipment.reservation_reference)
    totals: dict[Key, int] = defaultdict(int)
    for line in reservation.lines.all():
        totals[_key(line)] += line.quantity
    site = shipment.to_site
    rows = _ensure_lots(site=site, keys=totals)
    occurred_at = _check_time(occurred_at, timezone.now())
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=key,
                quantity=quantity,
                kind=MovementKind.TRANSFER_IN,
                occurred_at=occurred_at,
                recorded_by=received_by,
                reference=shipment.reservation_reference,
                restock=shipment,
            )
            for key, quantity in totals.items()
        ]
    )
    _update_balances({rows[key].pk: (quantity, 0) for key, quantity in totals.items()})
    shipment.status = RestockShipment.Status.RECEIVED
    shipment.received_at = occurred_at
    shipment.received_by = received_by if getattr(received_by, "pk", None) else None
    shipment.save(update_fields=["status", "received_at", "received_by"])
    return shipment
