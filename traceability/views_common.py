"""What the recall page and API share: resolving the query to lots, the trace as data, the audit."""

from dataclasses import asdict

from django.utils.translation import gettext as _
from rest_framework import serializers

from foodbank import audit
from inventory.models import Item
from inventory.recall import product_lots

from .trace import RecallTrace, lot_summary, visible_lots


def lots_for_query(user, food_bank_ids: set[int], query: dict) -> tuple[int, list[int]]:
    """(food bank id, root lot ids) of a trace query: a lot, or an item with a date range. A lot or
    item outside the user's food banks is "not found" (400 on the field, nothing disclosed)."""
    if query.get("lot"):
        lot = visible_lots(user).filter(pk=query["lot"]).first()
        if lot is None:
            raise serializers.ValidationError({"lot": [_("Unknown lot.")]})
        return lot.food_bank_id, [lot.pk]
    item = Item.objects.filter(food_bank_id__in=food_bank_ids, code=query["item"]).first()
    if item is None:
        raise serializers.ValidationError({"item": [_("Unknown code.")]})
    ids = product_lots(
        food_bank_id=item.food_bank_id,
        item=item,
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
    )
    return item.food_bank_id, ids


def trace_data(found: RecallTrace) -> dict:
    trail = found.trail
    return {
        "lots": [lot_summary(lot) for lot in found.lots],
        "stock": [asdict(s) for s in trail.stock],
        "assembled": [asdict(a) for a in trail.assembled],
        "shipped": [asdict(s) for s in trail.shipped],
        "window_handouts": [asdict(h) for h in trail.handouts],
        "parcels": [asdict(p) for p in found.parcels],
        "totals": {
            "remaining": trail.remaining,
            "quarantined": sum(s.quarantined for s in trail.stock),
            "window_sets": trail.handout_sets,
            "window_handouts": sum(h.handouts for h in trail.handouts),
            "parcels": len(found.parcels),
            "households": found.households,
        },
    }


def audit_trace(request, *, food_bank_id: int, found: RecallTrace, action: str, object_id) -> None:
    """Every recall view is audited: one event, and one per household whose parcel it shows."""
    audit.record_view(
        request,
        action=action,
        object_type="recall",
        object_id=object_id,
        food_bank_id=food_bank_id,
        detail={"lots": len(found.trail.lots), "parcels": len(found.parcels), "households": found.households},
    )
