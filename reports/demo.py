"""Demo data of the reports app: nothing of its own; the report reads the other apps' demo rows.
Rolls the demo's past days up, so the page reads from the roll-up as in production."""

from . import services


def load(*, food_bank, stdout) -> None:
    services.refresh_rollups()
