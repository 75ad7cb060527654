"""/healthz notices a worker that is alive but no longer consuming: when the last heartbeat is old it
sends a canary itself; a consuming worker answers it, a stuck one does not."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from foodbank.health import PROBE_CACHE_KEY, send_probe
from foodbank.models import WorkerHeartbeat
from tests.helpers import broker_unreachable, wait_for


def _old_beat():
    WorkerHeartbeat.objects.update_or_create(
        queue="celery", defaults={"beat_at": timezone.now() - timedelta(minutes=10)}
    )


@pytest.mark.django_db
def test_an_old_heartbeat_is_reported_stale_and_a_canary_is_sent_once(client, settings):
    # Given a worker whose last heartbeat is ten minutes old, and no worker consuming
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    _old_beat()

    # When the load balancer asks twice
    first = client.get("/healthz")
    second = client.get("/healthz")

    # Then the web is healthy but the worker is reported stale both times,
    assert first.status_code == second.status_code == 200
    assert first.json()["worker"] == second.json()["worker"] == "stale"
    # and one canary went to the queue (the next may go after WORKER_PROBE_INTERVAL)
    assert cache.get(PROBE_CACHE_KEY) is not None
    assert send_probe() is False


@pytest.mark.django_db
def test_no_canary_is_sent_while_the_broker_is_down(client, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    _old_beat()

    with broker_unreachable():
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["worker"] == "stale"
    assert cache.get(PROBE_CACHE_KEY) is None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_consuming_worker_answers_the_canary(client, settings, celery_worker):
    # Given a consuming worker whose scheduled heartbeat stopped (beat is down)
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    _old_beat()

    # When /healthz finds the heartbeat old
    assert client.get("/healthz").json()["worker"] == "stale"

    # Then the worker runs the canary it sent, and the worker is reported ok again
    wait_for(lambda: client.get("/healthz").json()["worker"] == "ok", message="the canary")
