"""Housekeeping tasks of the shared core. Each is idempotent and takes plain values."""

import socket

from celery import shared_task
from django.utils import timezone

from . import idempotency, outbox, security
from .models import WorkerHeartbeat


@shared_task(name="foodbank.tasks.relay_outbox_task", ignore_result=True, time_limit=120, soft_time_limit=100)
def relay_outbox_task() -> int:
    return outbox.relay()


@shared_task(name="foodbank.tasks.heartbeat_task", ignore_result=True, time_limit=30, soft_time_limit=20)
def heartbeat_task(queue: str = "celery") -> None:
    """The canary: a worker that runs this is still taking tasks off ``queue``."""
    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()}
    )


@shared_task(
    name="foodbank.tasks.purge_idempotency_keys_task", ignore_result=True, time_limit=600, soft_time_limit=540
)
def purge_idempotency_keys_task() -> int:
    return idempotency.purge_expired_keys() + outbox.purge_sent()


@shared_task(
    name="foodbank.tasks.purge_login_records_task", ignore_result=True, time_limit=600, soft_time_limit=540
)
def purge_login_records_task() -> int:
    return security.purge_login_records()
