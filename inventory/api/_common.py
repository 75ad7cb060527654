"""What the inventory API views share: Django's refusals as DRF's 400, validated input, the
coordinator's food bank, codes and lines in, the site a user may read or manage, one stock-keeping
unit, integer query parameters and who sees a window.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied

from foodbank import selectors as core
from foodbank.models import Role, Site

from .. import selectors
from .. import serializers as s
from ..models import Item, PackType


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _coordinated_food_bank(request, requested: int | None) -> int:
    """The food bank a coordinator acts for: the one they coordinate, or the one they name."""
    ids = core.food_bank_ids(request.user, Role.COORDINATOR)
    if not ids:
        raise PermissionDenied()
    if requested is not None:
        if requested not in ids:
            raise serializers.ValidationError({"food_bank": [_("Not a food bank you coordinate.")]})
        return requested
    if len(ids) > 1:
        raise serializers.ValidationError({"food_bank": [_("Name the food bank: you coordinate several.")]})
    return next(iter(ids))


def _by_code(model, food_bank_id: int, codes: Iterable[str]) -> dict[str, object]:
    return {obj.code: obj for obj in model.objects.filter(food_bank_id=food_bank_id, code__in=set(codes))}


def _line_errors(lines: list[dict], field: str, known: dict) -> None:
    """400 keyed by line index (DRF's shape for a list of objects) when a line names an unknown code."""
    errors = {
        index: {field: [_("Unknown code.")]} for index, line in enumerate(lines) if line[field] not in known
    }
    if errors:
        raise serializers.ValidationError({"lines": errors})


def _stock_site(request, pk: int) -> Site:
    site = selectors.stock_sites(request.user).filter(pk=pk).first()
    if site is None:
        raise NotFound()
    return site


def _managed_site(request, pk: int) -> Site:
    """A site whose stock the user may change (coordinator; volunteer at a warehouse)."""
    site = _stock_site(request, pk)
    if not selectors.can_manage_stock(request.user, site):
        raise PermissionDenied()
    return site


def _sku(food_bank_id: int, data: dict) -> dict:
    if data.get("item"):
        item = Item.objects.filter(food_bank_id=food_bank_id, code=data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": [_("Unknown code.")]})
        return {"item": item, "pack_type": None}
    pack_type = PackType.objects.filter(food_bank_id=food_bank_id, code=data["pack_type"]).first()
    if pack_type is None:
        raise serializers.ValidationError({"pack_type": [_("Unknown code.")]})
    return {"item": None, "pack_type": pack_type}


def _int_param(value: str, name: str) -> int:
    """A query parameter naming a row id (a bounded positive integer, so no lookup overflows)."""
    field = serializers.IntegerField(min_value=1, max_value=s.MAX_ID)
    try:
        return field.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


def _sees_window(user, site_id: int) -> bool:
    return (
        site_id in core.site_ids(user, Role.WINDOW_STAFF)
        or Site.objects.filter(
            pk=site_id, food_bank_id__in=core.food_bank_ids(user, Role.COORDINATOR)
        ).exists()
    )
