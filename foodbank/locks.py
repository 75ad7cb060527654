"""Row locks of the core: the outbox relay's claim and the redelivery counter. Rows of one table are
locked in primary-key order; no function here locks rows of two tables."""

from django.db.models import Q

from .models import OutboxMessage, TaskRedelivery


def lock_free_outbox_messages(where: Q, *, limit: int) -> list[int]:
    """Lock up to ``limit`` outbox messages matching ``where`` in primary-key order, skipping the
    ones another transaction holds (``SKIP LOCKED``: two relays never claim the same message), and
    return their keys."""
    return list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(where)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def lock_task_redelivery(*, task_id: str, task_name: str) -> TaskRedelivery:
    """Lock the redelivery counter of ``task_id`` (one row: ``task_id`` is unique), made if new."""
    row, _created = TaskRedelivery.objects.select_for_update().get_or_create(
        task_id=task_id, defaults={"task_name": task_name[:200]}
    )
    return row
