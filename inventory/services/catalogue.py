"""Reference data: items, pack types and their recipes."""

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from foodbank.models import Organisation

from .. import locks
from ..models import Item, PackRecipe, PackRecipeLine, PackType


def upsert_item(
    *,
    food_bank: Organisation,
    code: str,
    name: str,
    category: str = Item.Category.FOOD,
    unit: str = "個",
    weight_kg: Decimal | float | str = 0,
    active: bool = True,
) -> Item:
    item, _created = Item.objects.update_or_create(
        food_bank=food_bank,
        code=code,
        defaults={
            "name": name,
            "category": category,
            "unit": unit,
            "weight_kg": Decimal(str(weight_kg)),
            "active": active,
        },
    )
    return item


def upsert_pack_type(
    *, food_bank: Organisation, code: str, name: str, days: int, sort_order: int = 0, active: bool = True
) -> PackType:
    pack_type, _created = PackType.objects.update_or_create(
        food_bank=food_bank,
        code=code,
        defaults={"name": name, "days": days, "sort_order": sort_order, "active": active},
    )
    return pack_type


def set_pack_type_alternatives(*, pack_type: PackType, alternatives: Sequence[PackType]) -> None:
    """Name the pack types a dispatch batch may pack instead of ``pack_type`` for a household allergic
    to what its lots contain (docs/traceability.md); replaces the earlier list. Same food bank only,
    and not itself."""
    for alt in alternatives:
        if alt.food_bank_id != pack_type.food_bank_id:
            raise ValidationError({"alternatives": _("A pack type belongs to another food bank.")})
        if alt.pk == pack_type.pk:
            raise ValidationError({"alternatives": _("A pack type cannot be its own alternative.")})
    pack_type.alternatives.set(alternatives)


@transaction.atomic
def set_pack_recipe(
    *, pack_type: PackType, lines: Sequence[tuple[Item, int]], created_by: User | None = None, note: str = ""
) -> PackRecipe:
    """Make a new version of ``pack_type``'s bill of contents (earlier versions stay as they were).

    Locks the pack type row so that two changes at once get consecutive versions. Returns the
    current recipe unchanged when ``lines`` equal it (so demo data and retries add no version).
    """
    locks.lock_pack_type(pack_type.pk)
    wanted = {item.pk: quantity for item, quantity in lines}
    if not wanted or any(q < 1 for q in wanted.values()):
        raise ValidationError({"lines": _("A recipe needs at least one item, each at least once.")})
    for item, _quantity in lines:
        if item.food_bank_id != pack_type.food_bank_id:
            raise ValidationError({"lines": _("An item belongs to another food bank.")})
    current = PackRecipe.objects.filter(pack_type=pack_type).order_by("-version").first()
    if current is not None and dict(current.lines.values_list("item_id", "quantity")) == wanted:
        return current
    recipe = PackRecipe.objects.create(
        pack_type=pack_type,
        version=(current.version + 1) if current else 1,
        note=note,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    PackRecipeLine.objects.bulk_create(
        [PackRecipeLine(recipe=recipe, item_id=item_id, quantity=q) for item_id, q in wanted.items()]
    )
    return recipe


def next_recipe_version(pack_type: PackType) -> int:
    """The number of ``pack_type``'s next recipe, for a caller that saves it in the same transaction
    (the admin): numbered under the pack type's lock, as ``set_pack_recipe`` numbers them, so that
    two saves at once get consecutive versions rather than one refused by the unique constraint."""
    locks.lock_pack_type(pack_type.pk)
    return (PackRecipe.objects.filter(pack_type=pack_type).aggregate(v=Max("version"))["v"] or 0) + 1
