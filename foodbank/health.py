"""``GET /healthz``: is the database reachable, is the broker reachable, is a worker consuming.

The worker check is a canary: beat runs ``heartbeat_task`` every minute and the worker that runs it
stamps ``WorkerHeartbeat``. When that stamp is older than WORKER_HEARTBEAT_MAX_AGE, /healthz reports
``"worker": "stale"`` and itself sends a canary (at most one per WORKER_PROBE_INTERVAL, across all
web processes), so a healthy worker behind a stopped beat is back to ``"ok"`` within seconds, while
a worker that is alive but no longer taking tasks stays ``"stale"``. A stale worker does not make
/healthz 503 (the web answers fine); monitoring should alert on it. Only a database or broker that
cannot be reached is 503.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app
from .models import WorkerHeartbeat
from .tasks import heartbeat_task

logger = logging.getLogger(__name__)
PROBE_CACHE_KEY = "healthz:worker-probe"


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok(timeout: float = 2.0) -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            # ensure_connection opens the transport lazily for some brokers: touch it.
            conn.default_channel  # noqa: B018
        return True
    except Exception:
        return False


def worker_state() -> str:
    """'ok' when the canary ran recently, 'stale' when it did not, 'unknown' before the first beat."""
    try:
        beat = WorkerHeartbeat.objects.filter(queue="celery").values_list("beat_at", flat=True).first()
    except Exception:
        return "unknown"
    if beat is None:
        return "unknown"
    age = timezone.now() - beat
    return "ok" if age <= timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE) else "stale"


def send_probe() -> bool:
    """Send one canary unless another process sent one within WORKER_PROBE_INTERVAL seconds.

    Sent straight to the broker, not through the outbox: it is a check of the broker and the worker
    right now, and a lost one is simply sent again by a later /healthz.
    """
    try:
        if not cache.add(PROBE_CACHE_KEY, timezone.now().isoformat(), timeout=settings.WORKER_PROBE_INTERVAL):
            return False
        heartbeat_task.apply_async(
            kwargs={"queue": "celery"}, retry=False, expires=settings.WORKER_PROBE_INTERVAL
        )
    except Exception as exc:
        logger.warning("Health check could not send a worker canary: %s", type(exc).__name__)
        return False
    return True


@never_cache
@require_GET
def healthz(request):
    checks = {"database": "ok" if database_ok() else "down", "broker": "ok" if broker_ok() else "down"}
    checks["worker"] = worker_state() if checks["database"] == "ok" else "unknown"
    if checks["worker"] != "ok" and checks["broker"] == "ok" and checks["database"] == "ok":
        send_probe()
    healthy = checks["database"] == "ok" and checks["broker"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
