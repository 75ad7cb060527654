"""Pantry shipments: a coordinator's bulk box for a partner group."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from ..models import PantryShipment


def create_pantry_shipment(*, food_bank_id: int, by: User, **fields: Any) -> PantryShipment:
    """A coordinator's bulk box for a partner group; the next batch that carries pantry shipments
    books it."""
    with transaction.atomic():
        return PantryShipment.objects.create(food_bank_id=food_bank_id, created_by=by, **fields)
