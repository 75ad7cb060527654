"""``GET /healthz``: is the database reachable, is the broker reachable, is a worker consuming."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok(timeout: float = 2.0) -> bool:
    from .celery import app

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
    from .models import WorkerHeartbeat

    try:
        beat = WorkerHeartbeat.objects.filter(queue="celery").values_list("beat_at", flat=True).first()
    except Exception:
        return "unknown"
    if beat is None:
        return "unknown"
    age = timezone.now() - beat
    return "ok" if age <= timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE) else "stale"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": "ok" if database_ok() else "down", "broker": "ok" if broker_ok() else "down"}
    checks["worker"] = worker_state() if checks["database"] == "ok" else "unknown"
    healthy = checks["database"] == "ok" and checks["broker"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
