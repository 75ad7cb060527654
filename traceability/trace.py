"""The recall trace (docs/traceability.md): inventory's lot trail, plus which parcels and therefore
which households received the lots, each with the agency that filed the request.

A fixed number of queries whatever the size of the ledger: ``inventory.recall.lot_trail``'s, one for
the parcels with their requests and agencies (bench/recall_bench.py prints the count).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from foodbank import selectors as core
from foodbank.models import Role
from inventory import allergens
from inventory.lot_models import Lot, Recall
from inventory.recall import LotTrail, lot_trail
from shipping.models import Parcel, ParcelEvent

PARCEL_PREFIX = "parcel:"


@dataclass(frozen=True)
class ParcelReached:
    """A parcel that carried the lots. ``recipient_name`` is for the coordinator's page only (audited);
    documents leave it out and name the agency to contact instead."""

    reference: str
    quantity: int
    packed_at: datetime
    status: str
    ship_date: date | None
    delivery_date: date | None
    tracking_number: str
    source: str
    request_id: int | None
    recipient_id: int | None
    recipient_name: str
    household_type: str
    municipality: str
    agency_name: str
    agency_phone: str
    agency_email: str
    # The packer's condition check on the packing event; None when packed before it was recorded.
    condition_checked: bool | None = None


@dataclass(frozen=True)
class RecallTrace:
    trail: LotTrail
    parcels: list[ParcelReached]

    @property
    def lots(self) -> list[Lot]:
        return [self.trail.lots[pk] for pk in sorted(self.trail.lots)]

    @property
    def households(self) -> int:
        return len({p.recipient_id for p in self.parcels if p.recipient_id})


def recall_food_banks(user) -> set[int]:
    """Recall is for coordinators of the food bank, no one else (docs/authorization.md)."""
    return core.food_bank_ids(user, Role.COORDINATOR)


def visible_lots(user) -> QuerySet[Lot]:
    return Lot.objects.filter(food_bank_id__in=recall_food_banks(user))


def visible_recalls(user) -> QuerySet[Recall]:
    return Recall.objects.filter(food_bank_id__in=recall_food_banks(user)).select_related(
        "lot", "item", "started_by"
    )


def trace(*, food_bank_id: int, lot_ids) -> RecallTrace:
    trail = lot_trail(food_bank_id=food_bank_id, lot_ids=lot_ids)
    packed = {
        p.reference[len(PARCEL_PREFIX) :]: p for p in trail.packed if p.reference.startswith(PARCEL_PREFIX)
    }
    parcels = []
    # In the same query: the check recorded on the parcel's packing event (the last one to carry it).
    checked = (
        ParcelEvent.objects.filter(parcel_id=OuterRef("pk"), condition_checked__isnull=False)
        .order_by("-pk")
        .values("condition_checked")[:1]
    )
    rows = (
        Parcel.objects.filter(food_bank_id=food_bank_id, reference__in=list(packed))
        .select_related("delivery_request__agency", "delivery_request__recipient", "restock__to_site")
        .annotate(condition_checked=Subquery(checked))
        .order_by("reference")
    )
    for parcel in rows:
        request = parcel.delivery_request
        recipient = request.recipient if request else None
        agency = request.agency if request else None
        parcels.append(
            ParcelReached(
                reference=parcel.reference,
                quantity=packed[parcel.reference].quantity,
                packed_at=packed[parcel.reference].occurred_at,
                status=parcel.status,
                ship_date=parcel.ship_date,
                delivery_date=parcel.delivery_date,
                tracking_number=parcel.tracking_number or "",
                source=parcel.source,
                request_id=request.pk if request else None,
                recipient_id=recipient.pk if recipient else None,
                recipient_name=recipient.name if recipient else parcel.recipient_name,
                household_type=recipient.household_type if recipient else "",
                municipality=recipient.municipality if recipient else "",
                agency_name=agency.name if agency else (_("Food bank (direct)") if request else ""),
                agency_phone=agency.phone if agency else "",
                agency_email=agency.email if agency else "",
                condition_checked=parcel.condition_checked,
            )
        )
    return RecallTrace(trail=trail, parcels=parcels)


def lot_summary(lot: Lot) -> dict:
    sku = lot.item or lot.pack_type
    return {
        "id": lot.pk,
        "code": lot.code,
        "kind": lot.kind,
        "product": sku.name if sku else "",
        "best_before": lot.best_before,
        "date_label": lot.date_label,
        "storage": lot.storage,
        "allergens": list(lot.allergens),
        "allergen_labels": allergens.labels(lot.allergens),
        "donor": (lot.donor.name or _("Anonymous donor")) if lot.donor_id else "",
        "quarantined_at": lot.quarantined_at,
    }
