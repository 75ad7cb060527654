"""Who sees which batches and parcels (the one place for shipping's scoping; docs/authorization.md).

Coordinators and warehouse volunteers of a food bank see its batches and parcels; nobody else.
Volunteers see packing data only (contents, allergies, no-cook, the label's name and address) —
never the situation note, debts or consent, which parcels do not even hold — and may download the
pick list, packing slips and address labels, not the carrier CSV (phone numbers for the courier)
nor the hand-over manifest, which coordinators handle.
"""

from typing import Any

from django.db.models import QuerySet

from foodbank.models import Organisation, Role
from foodbank.selectors import food_bank_ids
from foodbank.types import Actor

from .models import BatchDocument, CarrierAccount, DispatchBatch, PantryShipment, Parcel

VOLUNTEER_DOCUMENTS = frozenset(
    {BatchDocument.Kind.PICK_LIST, BatchDocument.Kind.PACKING_SLIPS, BatchDocument.Kind.LABELS}
)


def shipping_food_bank_ids(user: Actor) -> set[int]:
    return food_bank_ids(user, Role.COORDINATOR, Role.VOLUNTEER)


def may_see_shipping(user: Actor) -> bool:
    return bool(shipping_food_bank_ids(user))


def visible_batches(user: Actor) -> QuerySet[DispatchBatch]:
    return DispatchBatch.objects.filter(food_bank_id__in=shipping_food_bank_ids(user)).select_related(
        "account"
    )


def visible_parcels(user: Actor) -> QuerySet[Parcel]:
    return Parcel.objects.filter(food_bank_id__in=shipping_food_bank_ids(user))


def coordinated_accounts(user: Actor) -> QuerySet[CarrierAccount]:
    return CarrierAccount.objects.filter(food_bank_id__in=food_bank_ids(user, Role.COORDINATOR), active=True)


def coordinated_food_bank_ids(user: Actor) -> set[int]:
    return food_bank_ids(user, Role.COORDINATOR)


def visible_pantry_shipments(user: Actor) -> QuerySet[PantryShipment]:
    """Pantry shipments of the food banks the user coordinates (nobody else sees them), with their
    partner, pack type and parcels."""
    return (
        PantryShipment.objects.filter(food_bank_id__in=coordinated_food_bank_ids(user))
        .select_related("partner", "pack_type")
        .prefetch_related("parcels")
    )


def pantry_partners(user: Actor) -> QuerySet[Organisation]:
    """Active pantry groups (children's cafeterias, welfare facilities) of the user's food banks."""
    return Organisation.objects.filter(
        kind=Organisation.Kind.PANTRY_GROUP, food_bank_id__in=coordinated_food_bank_ids(user), active=True
    ).order_by("name", "pk")


def may_download(user: Actor, batch: DispatchBatch, kind: str) -> bool:
    if batch.food_bank_id in food_bank_ids(user, Role.COORDINATOR):
        return True
    return kind in VOLUNTEER_DOCUMENTS and batch.food_bank_id in food_bank_ids(user, Role.VOLUNTEER)


def batch_parcel_list(batch_id: int) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Parcel.objects.filter(batch_id=batch_id)
        .order_by("pk")
        .values("id", "reference", "status", "source", "stock_reserved")
    ]
