"""Existing stock moves into lots of "unknown donor", without losing a unit (docs/traceability.md).

The ledger is append-only, so history is not rewritten: for every balance row without a lot that
holds stock, two ``lot_relabel`` movements are appended (out of the row, into the food bank's
unknown-donor lot of the same item or pack type and best-before), and the stock reserved for open
dispatches moves with it (its reservation lines name the new lot). Every balance still equals the
sum of its ledger (tests/inventory/test_lot_migration.py).
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def forward(apps, schema_editor):
    Balance = apps.get_model("inventory", "Balance")
    Lot = apps.get_model("inventory", "Lot")
    StockMovement = apps.get_model("inventory", "StockMovement")
    ReservationLine = apps.get_model("inventory", "ReservationLine")
    now = timezone.now()
    lots = {}
    for row in Balance.objects.filter(lot__isnull=True).filter(~Q(on_hand=0) | ~Q(reserved=0)).order_by("pk"):
        key = (row.food_bank_id, row.item_id, row.pack_type_id, row.best_before)
        if key not in lots:
            lots[key] = Lot.objects.create(
                food_bank_id=row.food_bank_id,
                kind="unknown",
                item_id=row.item_id,
                pack_type_id=row.pack_type_id,
                best_before=row.best_before,
            )
        lot = lots[key]
        total = row.on_hand + row.reserved
        common = {
            "food_bank_id": row.food_bank_id,
            "site_id": row.site_id,
            "item_id": row.item_id,
            "pack_type_id": row.pack_type_id,
            "best_before": row.best_before,
            "kind": "lot_relabel",
            "reference": "migration:lots",
            "occurred_at": now,
        }
        StockMovement.objects.bulk_create(
            [
                StockMovement(quantity=-total, lot_id=None, **common),
                StockMovement(quantity=total, lot_id=lot.pk, **common),
            ]
        )
        Balance.objects.create(
            food_bank_id=row.food_bank_id,
            site_id=row.site_id,
            item_id=row.item_id,
            pack_type_id=row.pack_type_id,
            best_before=row.best_before,
            lot_id=lot.pk,
            on_hand=row.on_hand,
            reserved=row.reserved,
        )
        Balance.objects.filter(pk=row.pk).update(on_hand=0, reserved=0)
        lot_q = Q(item_id=row.item_id) if row.item_id else Q(pack_type_id=row.pack_type_id)
        lot_q &= Q(best_before=row.best_before) if row.best_before else Q(best_before__isnull=True)
        ReservationLine.objects.filter(
            lot_q, lot__isnull=True, reservation__site_id=row.site_id, reservation__state="active"
        ).update(lot_id=lot.pk)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_lots_donors_inspection")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
