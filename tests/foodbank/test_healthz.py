import pytest

from tests.helpers import broker_unreachable

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"] in {"ok", "unknown", "stale"}


def test_healthz_is_503_when_the_broker_is_unreachable(client):
    # Given a broker address where nothing listens (port 1 on loopback)
    with broker_unreachable():
        # When the load balancer asks
        response = client.get("/healthz")

    # Then it is told the service is unavailable, and why
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "down",
        "worker": "unknown",
    }


def test_healthz_reports_a_stale_worker(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from foodbank.models import WorkerHeartbeat

    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    WorkerHeartbeat.objects.create(queue="celery", beat_at=timezone.now() - timedelta(minutes=10))

    assert client.get("/healthz").json()["worker"] == "stale"
