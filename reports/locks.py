"""Row locks of the reports: the roll-up's state row, held for a whole refresh so that concurrent
refreshes queue. One row, one table."""

from .models import RollupState


def lock_rollup_state(name: str) -> RollupState:
    """Lock the roll-up state row ``name`` (it must exist: ValueError otherwise)."""
    (state,) = list(RollupState.objects.select_for_update(of=("self",)).filter(name=name).order_by("pk"))
    return state
