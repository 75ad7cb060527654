"""A cap on redeliveries, so that a poison task cannot loop forever.

Tasks are acknowledged late and rejected (requeued) when their worker dies (``CELERY_TASK_ACKS_LATE``,
``CELERY_TASK_REJECT_ON_WORKER_LOST``): a worker killed mid-task loses nothing, the message comes
back. A task that itself kills its worker (out of memory on one huge input, a native crash) would
then come back for ever. Every project task derives from ``foodbank.celery.Task``, which counts
each *redelivered* message (the broker marks it ``redelivered``) here, per task id, and gives up
after ``TASK_MAX_REDELIVERIES``: the message is acknowledged without running and the row keeps
``gave_up_at`` for a human. First deliveries cost nothing; retries (``self.retry``) are new
messages, not redeliveries, and have their own ``max_retries``.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import locks
from .models import TaskRedelivery

logger = logging.getLogger(__name__)


def admit_redelivery(*, task_id: str, task_name: str) -> bool:
    """Count one redelivery of ``task_id``; False when it is over the cap (do not run it)."""
    with transaction.atomic():
        row = locks.lock_task_redelivery(task_id=task_id, task_name=task_name)
        TaskRedelivery.objects.filter(pk=row.pk).update(redeliveries=F("redeliveries") + 1)
        row.refresh_from_db(fields=["redeliveries", "gave_up_at"])
        if row.redeliveries <= settings.TASK_MAX_REDELIVERIES:
            return True
        if row.gave_up_at is None:
            TaskRedelivery.objects.filter(pk=row.pk).update(gave_up_at=timezone.now())
    logger.error(
        "Task %s (%s) was redelivered %s times (its worker died each time); giving up on it",
        task_id,
        task_name,
        row.redeliveries,
    )
    return False
