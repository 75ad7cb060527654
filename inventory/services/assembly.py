"""Assembly: packs made at a warehouse from items, FEFO, to the pack type's current recipe."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Site

from ..exceptions import InsufficientStock
from ..lots import pack_lot, window_set_rows
from ..models import Assembly, Balance, MovementKind, PackRecipe, PackType, StockMovement
from .ledger import (
    Key,
    _allocate,
    _check_time,
    _ensure_lots,
    _key,
    _lock_skus,
    _movement,
    _same_tenant,
    _shortage,
    _update_balances,
)


def current_recipe(pack_type: PackType) -> PackRecipe | None:
    return PackRecipe.objects.filter(pack_type=pack_type).order_by("-version").first()


@transaction.atomic
def assemble_packs(
    *,
    site: Site,
    pack_type: PackType,
    quantity: int,
    recorded_by: User | None = None,
    occurred_at: datetime | None = None,
) -> Assembly:
    """Make ``quantity`` packs at a warehouse from items, FEFO, to the current recipe.

    Locks, in one ordered ``SELECT … FOR UPDATE``: every lot of the recipe's items and every lot of
    the pack type at the site. The packs' best-before is the earliest among the items used.
    Raises InsufficientStock (nothing written) when an item is short.
    """
    if site.kind != Site.Kind.WAREHOUSE:
        raise ValidationError({"site": _("Packs are assembled in a warehouse.")})
    if quantity < 1:
        raise ValidationError({"quantity": _("At least one.")})
    _same_tenant(site, pack_type)
    recipe = current_recipe(pack_type)
    if recipe is None:
        raise ValidationError({"pack_type": _("This pack type has no recipe yet.")})
    recipe_lines = list(recipe.lines.select_related("item"))
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    rows = _lock_skus(
        site_id=site.pk, item_ids=[line.item_id for line in recipe_lines], pack_type_ids=[pack_type.pk]
    )
    by_item: dict[int, list[Balance]] = defaultdict(list)
    for row in window_set_rows(pack_type=pack_type, rows=rows, recipe_lines=recipe_lines, quantity=quantity):
        if row.item_id:
            by_item[row.item_id].append(row)
    plan, shortages = [], []
    for line in recipe_lines:
        needed = line.quantity * quantity
        allocations, available = _allocate(by_item[line.item_id], needed, today=today)
        if available < needed:
            shortages.append(_shortage(line.item.code, needed, available))
        plan.extend(allocations)
    if shortages:
        raise InsufficientStock(shortages=shortages)
    dates = [row.best_before for row, _q in plan if row.best_before]
    best_before = min(dates) if dates else None
    assembly = Assembly.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        pack_type=pack_type,
        recipe=recipe,
        quantity=quantity,
        best_before=best_before,
        occurred_at=occurred_at,
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    # The packs are a lot of their own, made of the component lots in ``plan`` (inventory.lots).
    pack_key: Key = (None, pack_type.pk, best_before, pack_lot(assembly=assembly, plan=plan).pk)
    pack_rows = _ensure_lots(site=site, keys=[pack_key])
    common: dict[str, Any] = {
        "site": site,
        "occurred_at": occurred_at,
        "recorded_by": recorded_by,
        "assembly": assembly,
    }
    movements = [
        _movement(key=_key(row), quantity=-q, kind=MovementKind.ASSEMBLY_CONSUME, **common) for row, q in plan
    ]
    movements.append(_movement(key=pack_key, quantity=quantity, kind=MovementKind.ASSEMBLY_PRODUCE, **common))
    StockMovement.objects.bulk_create(movements)
    deltas = {row.pk: (-q, 0) for row, q in plan}
    deltas[pack_rows[pack_key].pk] = (quantity, 0)
    _update_balances(deltas)
    return assembly
