"""What the inventory's models share: the food-bank-only choice limit and the constraints of a
stock-keeping unit (exactly one of item and pack type) and of a lot.
"""

from django.db import models
from django.db.models import Q

from foodbank.models import Organisation

FOOD_BANK_ONLY = {"kind": Organisation.Kind.FOOD_BANK}


def _one_sku(prefix: str) -> models.CheckConstraint:
    """Exactly one of ``item`` and ``pack_type`` is set."""
    return models.CheckConstraint(
        name=f"{prefix}_item_xor_pack_type",
        condition=(
            Q(item__isnull=False, pack_type__isnull=True) | Q(item__isnull=True, pack_type__isnull=False)
        ),
    )


def _lot_constraints(prefix: str) -> list[models.UniqueConstraint]:
    """One row per (site, item or pack type, best-before, lot): a partial unique constraint for each
    combination of the nullable columns (NULLs would otherwise never collide)."""
    constraints = []
    for sku, short in (("item", "item"), ("pack_type", "pack")):
        for dated in (True, False):
            for lotted in (True, False):
                fields = ["site", sku] + (["best_before"] if dated else []) + (["lot"] if lotted else [])
                name = f"{prefix}_unique_{short}_{'lot' if dated else 'undated'}" + (
                    "_lotted" if lotted else ""
                )
                condition = Q(
                    **{f"{sku}__isnull": False, "best_before__isnull": not dated, "lot__isnull": not lotted}
                )
                constraints.append(models.UniqueConstraint(fields=fields, condition=condition, name=name))
    return constraints
