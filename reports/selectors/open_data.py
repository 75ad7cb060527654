"""What the open data publishes: the windows and the food banks' names."""

from django.db.models import QuerySet

from foodbank import selectors as core
from foodbank.models import Organisation, Site


def open_windows() -> QuerySet[Site]:
    """The public directory: every food bank's publishable windows (never a confidential one)."""
    return (
        core.publishable_sites()
        .select_related("organisation", "food_bank")
        .order_by("municipality_code", "municipality", "name", "pk")
    )


def food_bank_name(food_bank_id: int) -> str:
    return Organisation.objects.filter(pk=food_bank_id).values_list("name", flat=True).first() or ""
