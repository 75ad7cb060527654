"""Demo data of `inventory`, loaded by `manage.py load_demo_data` after the network (idempotent)."""

from foodbank.models import Organisation


def load(*, food_bank: Organisation, stdout=None) -> None:
    """Nothing yet."""
