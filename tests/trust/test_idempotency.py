"""Idempotency keys: kept at least 7 days, purged after IDEMPOTENCY_KEY_TTL_DAYS by the real
worker, 409 while the first request is still running, and never a copy of the body."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from foodbank import outbox
from foodbank.models import IdempotencyKey, Organisation
from foodbank.tasks import purge_idempotency_keys_task
from tests.helpers import wait_for
from tests.trust import urls as test_urls

URL = "/test/partners/"
BODY = {"code": "kodomo-shokudo", "name": "こども食堂ひまわり"}

pytestmark = pytest.mark.urls("tests.trust.urls")


def _post(client, key, body=BODY):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_key_is_still_honoured_after_seven_days(api, coordinator):
    client = api(coordinator)
    first = _post(client, "retry-next-week")
    assert first.status_code == 201

    # Given the key was used a week ago (agencies retry the next morning, or later)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=7))

    # When the same request is retried
    retry = _post(client, "retry-next-week")

    # Then it gets the first answer and nothing new is created
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Organisation.objects.filter(code="kodomo-shokudo").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(api, coordinator):
    client = api(coordinator)
    _post(client, "k1")

    response = _post(client, "k1", {**BODY, "name": "別の名前"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Organisation.objects.get(code="kodomo-shokudo").name == "こども食堂ひまわり"


@pytest.mark.django_db
def test_only_a_fingerprint_and_the_id_are_stored_never_the_body(api, coordinator):
    # Given a body with personal data in it
    body = {**BODY, "contact_note": "山田 花子 090-1234-5678"}

    response = _post(api(coordinator), "personal", body)

    # Then the key's row holds the fingerprint and the created id, nothing of the body
    key = IdempotencyKey.objects.get()
    assert key.resource_id == response.json()["id"]
    assert len(key.fingerprint) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM foodbank_idempotencykey")
        dump = repr(cursor.fetchall())
    for value in ("山田", "090-1234-5678", "こども食堂", "kodomo-shokudo"):
        assert value not in dump


@pytest.mark.postgres  # two write transactions at once: SQLite serialises writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.binding  # the claim, the work and the COMMIT outside a test's transaction
def test_a_retry_while_the_first_request_runs_is_409(api, coordinator):
    first_client, second_client = api(coordinator), api(coordinator)
    test_urls.HOLD.update(started=threading.Event(), release=threading.Event(), active=True)
    answers = {}

    def first_request():
        try:
            answers["first"] = _post(first_client, "slow")
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    try:
        # Given a first request that has claimed its key and is still creating
        thread.start()
        assert test_urls.HOLD["started"].wait(timeout=30)
        test_urls.HOLD["active"] = False

        # When the client retries with the same key
        second = _post(second_client, "slow")

        # Then the retry is told to wait, and nothing was created for it
        assert second.status_code == 409
        assert second.json()["code"] == "idempotency_key_in_use"
        assert not Organisation.objects.filter(code="kodomo-shokudo").exists()
    finally:
        test_urls.HOLD["release"].set()
        thread.join(timeout=30)

    # And once the first finishes, a retry gets its answer
    assert answers["first"].status_code == 201
    third = _post(second_client, "slow")
    assert third.status_code == 201
    assert third.json() == answers["first"].json()
    assert Organisation.objects.filter(code="kodomo-shokudo").count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_keys_older_than_the_ttl_are_purged_by_the_worker(api, coordinator, settings, celery_worker):
    # Given keys used 7 and 9 days ago, with the default time to live of 8 days
    assert settings.IDEMPOTENCY_KEY_TTL_DAYS == 8
    client = api(coordinator)
    _post(client, "week-old")
    _post(client, "too-old", {**BODY, "code": "other"})
    now = timezone.now()
    IdempotencyKey.objects.filter(key="week-old").update(created_at=now - timedelta(days=7))
    IdempotencyKey.objects.filter(key="too-old").update(created_at=now - timedelta(days=9))

    # When the nightly purge runs on a real worker
    with transaction.atomic():
        outbox.enqueue(purge_idempotency_keys_task)

    # Then only the key past its time to live is gone
    wait_for(lambda: not IdempotencyKey.objects.filter(key="too-old").exists(), message="the purge")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["week-old"]
