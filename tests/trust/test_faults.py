"""The fault scenarios of bench/fault_*.py at small size (issue #8, Faults). Each starts its own
servers (a private Redis or PostgreSQL on a free port) and worker processes; the machine's own
Redis and PostgreSQL are never stopped. The scripts print the same figures at full size."""

import shutil
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from bench import fault_redis_down
from bench.faults import PrivateRedis

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def _with_email(user):
    get_user_model().objects.filter(pk=user.pk).update(email=f"{user.username}@example.org")
    user.refresh_from_db()
    return user


@needs_redis_server
@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_redis_down_while_requests_are_filed_loses_nothing(network, coordinator, case_worker_a):
    # Given a private Redis as the broker and a worker process consuming it
    redis = PrivateRedis().start()
    try:
        # When 24 requests are filed and approved by 3 clients while Redis is killed and restarted
        result = fault_redis_down.run(
            net=SimpleNamespace(case_worker=_with_email(case_worker_a), coordinator=coordinator),
            redis=redis,
            requests=24,
            clients=3,
            down_seconds=2,
        )
    finally:
        redis.stop()

    # Then every request was answered 201 and saved once, approvals went on while Redis was down
    # (their emails waited in the outbox), and every email was sent exactly once after it came back
    assert (result["answered_201"], result["approved_200"], result["saved"]) == (24, 24, 24)
    assert result["other_answers"] == []
    assert result["unsent_while_down"] > 0
    assert (result["follow_ups_ran"], result["emails"]) == (24, 24)
    assert (result["lost"], result["duplicated"]) == (0, 0)
