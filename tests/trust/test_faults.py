"""The fault scenarios of bench/fault_*.py at small size (issue #8, Faults). Each starts its own
servers (a private Redis or PostgreSQL on a free port) and worker processes; the machine's own
Redis and PostgreSQL are never stopped. The scripts print the same figures at full size."""

import os
import shutil
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import redis as redis_client
from django.contrib.auth import get_user_model
from django.db import connection

from bench import fault_redis_down, fault_two_beats, fault_worker_killed
from bench.faults import PG_BIN, ROOT, PrivateRedis, WorkerProcess, broker_at, database_url_of
from foodbank.models import TaskRedelivery
from tests.shipping.integration import approved_requests, make_b2_account

POISON = "tests.trust.poison_tasks.poison_task"

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


@needs_redis_server
@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_no_duplicate_and_the_batch_completes(
    settings,
    network,
    b2_account,
    stocked,
    case_worker_a,
    coordinator,
):
    # Given 24 approved requests and chunks of 3 parcels, built by a worker process
    settings.DISPATCH_CHUNK_SIZE = 3
    requests = approved_requests(
        24, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator
    )
    redis = PrivateRedis().start()
    try:
        # When the worker is SIGKILLed once some chunks are done, and a second worker starts
        result = fault_worker_killed.run(
            account=b2_account, request_ids=[r.pk for r in requests], redis=redis
        )
    finally:
        redis.stop()

    # Then the batch is ready with one parcel, one reservation per parcel and one document per kind
    assert result["killed_mid_way"] is True
    assert result["final"]["status"] == "ready"
    assert (result["parcels"], result["reservations"], result["documents"]) == (24, 24, 4)
    assert result["ledger_differences"] == 0
    assert (result["lost"], result["duplicated"]) == (0, 0)


def _runs(marker) -> int:
    return len(marker.read_text().splitlines()) if marker.exists() else 0


@needs_redis_server
@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_task_that_kills_its_worker_is_given_up_after_the_redelivery_cap(settings, tmp_path):
    # Given a task that kills the process running it (as one that runs out of memory would), and
    # a prefork worker: its pool child dies, the message is rejected and requeued at once
    # (task_reject_on_worker_lost), and the broker marks it redelivered
    marker = tmp_path / "runs"
    redis = PrivateRedis().start()
    worker = None
    try:
        with broker_at(redis.url) as app:
            worker = WorkerProcess(
                broker_url=redis.url,
                database_url=database_url_of(connection),
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                concurrency=1,
                pool="prefork",
                include="tests.trust.poison_tasks",
                TASK_MAX_REDELIVERIES="2",
            ).start()
            app.send_task(POISON, kwargs={"marker": str(marker)}, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if TaskRedelivery.objects.filter(gave_up_at__isnull=False).exists():
                    break
                time.sleep(0.2)
            time.sleep(2)
        queue_left = redis_client.Redis.from_url(redis.url).llen(settings.CELERY_TASK_DEFAULT_QUEUE)
        unacked = redis_client.Redis.from_url(redis.url).hlen("unacked")
        alive = worker.alive()
        logs = worker.log.read_text(errors="replace")[-3000:]
    finally:
        if worker:
            worker.stop()
        redis.stop()

    # Then it ran once and was redelivered twice (each run killed its pool process); the third
    # redelivery was acknowledged without running, recorded for a human, and nothing is left queued
    row = TaskRedelivery.objects.get()
    assert (row.task_name, row.redeliveries) == (POISON, 3), (_runs(marker), logs)
    assert row.gave_up_at is not None
    assert _runs(marker) == 3
    assert (queue_left, unacked) == (0, 0)
    assert alive  # the worker itself carries on


needs_private_postgres = pytest.mark.skipif(
    PG_BIN is None or shutil.which("runuser") is None or os.geteuid() != 0,
    reason="needs PostgreSQL server binaries and root (initdb runs as the postgres user)",
)


@needs_private_postgres
@pytest.mark.fault
def test_postgres_restarted_under_load_answers_503_then_nothing_half_written():
    # Given gunicorn on a private PostgreSQL cluster and four clients logging handouts,
    # When the cluster is restarted after two seconds (the script, at small size)
    run = subprocess.run(
        [
            sys.executable,
            "bench/fault_pg_restart.py",
            "--seconds",
            "5",
            "--clients",
            "4",
            "--restart-after",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
    )

    # Then no 500, no 503 after the restart, nothing lost, duplicated or half-written
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    line = run.stdout.strip().splitlines()[-1]
    figures = dict(part.split("=") for part in line.split())
    assert (figures["lost"], figures["duplicated"], figures["half_written"]) == ("0", "0", "0")
    assert (figures["answered_500"], figures["late_503"]) == ("0", "0")
    # and a key retried after the restart is not left claimed by its dead first request
    assert figures["answered_409"] == "0"
    assert int(figures["tried"]) > 0


@needs_redis_server
@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_open_one_batch_per_account_and_day(network):
    # Given four carrier accounts that pick up every day
    accounts = [make_b2_account(network.food_bank, name=f"ヤマト{i}") for i in range(4)]

    # When three openers (each its own connection) run open_due_batches at the same moment, 8 days
    # (the build tasks go to a private Redis that no worker reads; the outbox rows are counted)
    redis = PrivateRedis().start()
    try:
        with broker_at(redis.url):
            result = fault_two_beats.run(food_bank=network.food_bank, accounts=accounts, rounds=8, openers=3)
    finally:
        redis.stop()

    # Then each account has one batch a day, created (and its build enqueued) by one opener only
    assert result["errors"] == []
    assert (result["batches"], result["claimed_created"], result["build_tasks"]) == (32, 32, 32)
    assert (result["lost"], result["duplicated"]) == (0, 0)


def test_tasks_survive_a_killed_worker_by_configuration(settings):
    # A killed worker's message comes back (late ack, rejected on worker loss), one at a time, and
    # every task counts its redeliveries (the cap above)
    from foodbank.celery import Task, app

    app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.TASK_MAX_REDELIVERIES == 3
    assert {"shipping.tasks.build_chunk_task", "referrals.tasks.anonymise_closed_cases_task"} <= set(
        app.tasks
    )
    assert all(isinstance(task, Task) for name, task in app.tasks.items() if not name.startswith("celery."))
