"""Webhooks to agencies' systems, end to end: a real HTTP receiver, a real Celery worker, Redis.

Endpoints are registered through the API with the case worker's token; changes are made through
the services the pages and the API call; the receiver verifies each Standard Webhooks signature
and processes each event id once.
"""

import time

import pytest
from django.core import mail
from django.db import transaction

from foodbank import outbox
from referrals import services
from tests.helpers import wait_for as _wait_for
from tests.referrals.factories import TRACKING_NUMBER, bring_to, file_request
from tests.referrals.factories import body as request_body
from tests.webhooks.receiver import start_receiver
from webhooks import fanout
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]

URL = "/api/v1/webhook-endpoints/"
FILING_URL = "/api/v1/delivery-requests/"
ALL = [
    "delivery_request.submitted",
    "delivery_request.approved",
    "delivery_request.declined",
    "delivery_request.scheduled",
    "delivery_request.packed",
    "delivery_request.shipped",
    "delivery_request.delivered",
    "delivery_request.returned",
    "delivery_request.cancelled",
]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_INSECURE_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.3
    settings.WEBHOOK_RETRY_MAX_SECONDS = 1.0
    # Long enough for a loaded machine to answer in time; the "slow" answer comes after it.
    settings.WEBHOOK_TIMEOUT_SECONDS = 3.0
    receiver, server = start_receiver()
    RECEIVER[0] = receiver
    yield receiver
    server.shutdown()
    server.server_close()


def register(api, user, receiver, path, events=ALL) -> dict:
    response = api(user).post(URL, {"url": receiver.at(path), "events": events}, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    receiver.secrets[path] = answer["secret"]
    return answer


def _state(receiver) -> str:
    """What the fan-out and the sender saw, for a failure message."""
    from django.db import connection

    from foodbank.models import OutboxMessage
    from webhooks import changes
    from webhooks.models import FanOutCursor

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, backend_xid::text, left(query, 80) FROM pg_stat_activity "
            "WHERE datname = current_database()"
        )
        sessions = cursor.fetchall()
    return (
        f"horizon={changes.horizon()} cursor={list(FanOutCursor.objects.values())} "
        f"deliveries={list(WebhookDelivery.objects.values('event_id', 'status', 'attempts'))} "
        f"received={len(receiver.received)} sessions={sessions} "
        f"outbox={list(OutboxMessage.objects.values('task_name', 'sent_at', 'attempts', 'last_error'))}"
    )


def wait_for(predicate, *, message, timeout=30.0):
    """``tests.helpers.wait_for``, whose failure says what the fan-out and the sender saw."""
    try:
        return _wait_for(predicate, message=message, timeout=timeout)
    except pytest.fail.Exception:
        pytest.fail(f"{message}: {_state(RECEIVER[0])}")


RECEIVER: list = [None]


def types_of(events) -> list[tuple[int, str]]:
    return [(e["data"]["request_id"], e["type"]) for e in events]


def test_each_event_reaches_its_agency_once_signed_and_in_order(
    api, celery_worker, receiver, network, coordinator, case_worker_a, case_worker_b
):
    # given a receiver for agency A (every event) and one for agency B (approvals only)
    register(api, case_worker_a, receiver, "/a")
    register(api, case_worker_b, receiver, "/b", events=["delivery_request.approved"])

    # when agency A's request goes from submitted to shipped, and agency B's is declined
    mine = file_request(case_worker_a, network.agency_a)
    bring_to(mine, "shipped", coordinator)
    theirs = file_request(case_worker_b, network.agency_b)
    services.decline_request(request_id=theirs.pk, by=coordinator, reason="対象外")

    # then A's receiver gets the five changes of its request, in order, each once, each signed
    wait_for(lambda: len(receiver.processed.get("/a", [])) == 5, message="five deliveries to A")
    time.sleep(1.0)  # and nothing more comes (no second delivery of any event)
    sent = receiver.deliveries("/a")
    assert types_of([r.json for r in sent]) == [
        (mine.pk, "delivery_request.submitted"),
        (mine.pk, "delivery_request.approved"),
        (mine.pk, "delivery_request.scheduled"),
        (mine.pk, "delivery_request.packed"),
        (mine.pk, "delivery_request.shipped"),
    ]
    assert len({r.headers["webhook-id"] for r in sent}) == 5
    assert all(r.headers["webhook-id"] == r.json["id"] for r in sent)
    assert sent[-1].json["data"]["tracking_number"] == TRACKING_NUMBER
    # (the receiver verified every signature with the secret it was shown: 401 otherwise)
    assert len(receiver.processed["/a"]) == 5
    # and nothing personal left the building
    assert not any("山田" in r.body.decode() for r in sent)
    # and B's receiver heard nothing of A's request, nor of its own decline (not chosen)
    assert receiver.deliveries("/b") == []
    # and the same events in the changes feed carry the same ids and bodies
    feed = api(case_worker_a).get("/api/v1/delivery-requests/changes/").json()["results"]
    assert feed == [r.json for r in sent]
    # and running the fan-out again adds no delivery
    assert fanout.fan_out() == (0, False)
    assert WebhookDelivery.objects.count() == 5


def test_a_filing_in_a_web_process_reaches_the_agency_from_the_background_sender(
    api, celery_worker, receiver, network, case_worker_a
):
    # given a receiver for agency A, and a web process that sends the outbox's messages from its
    # background thread, in batches (gunicorn.conf.py: foodbank.outbox.send_in_background)
    register(api, case_worker_a, receiver, "/a", events=["delivery_request.submitted"])
    sender = outbox.send_in_background()
    assert sender is not None
    try:
        # when a case worker files two requests through the API, one with an Idempotency-Key (its
        # statement completes the key and goes with the COMMIT) and one without
        client = api(case_worker_a)
        keyed = client.post(FILING_URL, request_body(), format="json", HTTP_IDEMPOTENCY_KEY="journey-1")
        plain = client.post(FILING_URL, request_body(), format="json")
        assert (keyed.status_code, plain.status_code) == (201, 201), (keyed.content, plain.content)
        assert sender.wait_idle(timeout=30)
    finally:
        outbox.send_in_the_committing_thread()

    # then the agency's system is told of each, once, signed, naming the request the API answered
    filed = {keyed.json()["id"], plain.json()["id"]}
    wait_for(lambda: len(receiver.processed.get("/a", [])) == 2, message="two deliveries to A")
    assert sorted(types_of(receiver.processed["/a"])) == sorted(
        (pk, "delivery_request.submitted") for pk in filed
    )
    time.sleep(1.0)  # and nothing more comes (no second delivery of either)
    assert len(receiver.deliveries("/a")) == 2
    assert WebhookDelivery.objects.count() == 2
    assert not any("山田" in r.body.decode() for r in receiver.deliveries("/a"))
    # and a retry of the keyed filing is its first answer, announcing nothing more
    again = client.post(FILING_URL, request_body(), format="json", HTTP_IDEMPOTENCY_KEY="journey-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == keyed.json()
    assert fanout.fan_out() == (0, False)


def test_a_500_and_a_timeout_are_retried_and_the_receiver_deduplicates(
    api, celery_worker, receiver, network, coordinator, case_worker_a
):
    # given a receiver that fails the first delivery with 500, and answers the second too late
    register(api, case_worker_a, receiver, "/a", events=["delivery_request.approved"])
    receiver.scripts["/a"] = ["500", "slow"]
    request = file_request(case_worker_a, network.agency_a)

    # when the request is approved
    services.approve_request(request_id=request.pk, by=coordinator)

    # then the delivery is tried three times (500, timeout, ok), with the same event id each time
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").exists(), message="delivered", timeout=60
    )
    sent = receiver.deliveries("/a")
    assert len(sent) == 3
    assert len({r.headers["webhook-id"] for r in sent}) == 1
    # and the receiver, which processed it at the second (slow) try already, processed it once
    assert types_of(receiver.processed["/a"]) == [(request.pk, "delivery_request.approved")]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 204, "")


def test_a_later_event_waits_for_an_earlier_one_of_the_same_request(
    api, celery_worker, receiver, network, coordinator, case_worker_a
):
    # given a receiver that fails its first delivery
    register(
        api, case_worker_a, receiver, "/a", events=["delivery_request.approved", "delivery_request.cancelled"]
    )
    receiver.scripts["/a"] = ["500"]
    request = file_request(case_worker_a, network.agency_a)

    # when the request is approved and at once cancelled
    services.approve_request(request_id=request.pk, by=coordinator)
    services.cancel_request(request_id=request.pk, by=coordinator, reason="重複")

    # then the receiver processes the approval before the cancellation
    wait_for(lambda: len(receiver.processed.get("/a", [])) == 2, message="both", timeout=60)
    assert [e["type"] for e in receiver.processed["/a"]] == [
        "delivery_request.approved",
        "delivery_request.cancelled",
    ]
    assert [r.json["type"] for r in receiver.deliveries("/a")] == [
        "delivery_request.approved",  # 500
        "delivery_request.approved",
        "delivery_request.cancelled",
    ]


def test_a_rolled_back_approval_sends_nothing(
    api, celery_worker, receiver, network, coordinator, case_worker_a
):
    # given a receiver for approvals and declines, and two submitted requests
    register(
        api, case_worker_a, receiver, "/a", events=["delivery_request.approved", "delivery_request.declined"]
    )
    first = file_request(case_worker_a, network.agency_a)
    second = file_request(case_worker_a, network.agency_a)

    # when the approval of the first is rolled back
    def approve_then_fail():
        with transaction.atomic():
            services.approve_request(request_id=first.pk, by=coordinator)
            raise RuntimeError("the coordinator's page failed after approving")

    with pytest.raises(RuntimeError):
        approve_then_fail()
    # and the second is declined (committed)
    services.decline_request(request_id=second.pk, by=coordinator, reason="対象外")

    # then only the decline is delivered
    wait_for(lambda: receiver.processed.get("/a"), message="the decline")
    time.sleep(1.0)
    assert types_of([r.json for r in receiver.deliveries("/a")]) == [(second.pk, "delivery_request.declined")]


def test_a_revoked_endpoint_gets_nothing_more(
    api, celery_worker, receiver, network, coordinator, case_worker_a
):
    # given two endpoints of agency A, both told of the first approval
    old = register(api, case_worker_a, receiver, "/old", events=["delivery_request.approved"])
    register(api, case_worker_a, receiver, "/new", events=["delivery_request.approved"])
    first, second = (
        file_request(case_worker_a, network.agency_a),
        file_request(case_worker_a, network.agency_a),
    )
    services.approve_request(request_id=first.pk, by=coordinator)
    wait_for(
        lambda: receiver.processed.get("/old") and receiver.processed.get("/new"),
        message="both told",
    )

    # when the agency revokes the old one and the second request is approved
    assert api(case_worker_a).delete(f"{URL}{old['id']}/").status_code == 204
    services.approve_request(request_id=second.pk, by=coordinator)

    # then the new endpoint hears of it, the revoked one does not
    wait_for(lambda: len(receiver.processed["/new"]) == 2, message="the second approval")
    time.sleep(1.0)
    assert types_of(receiver.processed["/old"]) == [(first.pk, "delivery_request.approved")]
    assert len(receiver.deliveries("/old")) == 1


def test_given_up_after_the_retry_window_the_endpoint_is_failing_and_a_resend_delivers(
    api, celery_worker, receiver, settings, network, coordinator, case_worker_a
):
    # given a receiver that fails everything, and a retry window of two seconds
    settings.WEBHOOK_RETRY_HOURS = 2 / 3600
    coordinator.email = "coordinator@example.org"
    coordinator.save(update_fields=["email"])
    endpoint = register(api, case_worker_a, receiver, "/a", events=["delivery_request.approved"])
    receiver.scripts["/a"] = ["500"] * 1000
    request = file_request(case_worker_a, network.agency_a)

    # when the request is approved
    services.approve_request(request_id=request.pk, by=coordinator)

    # then the delivery is given up, the endpoint marked failing and the coordinator told once
    wait_for(lambda: WebhookDelivery.objects.filter(status="failed").exists(), message="given up", timeout=60)
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).failing_since is not None
    wait_for(lambda: mail.outbox, message="the email")
    assert len(mail.outbox) == 1
    assert "coordinator@example.org" in mail.outbox[0].to
    assert receiver.at("/a") in mail.outbox[0].body
    log = api(case_worker_a).get(f"{URL}{endpoint['id']}/deliveries/").json()["results"]
    assert [(d["status"], d["last_status_code"]) for d in log] == [("failed", 500)]
    assert log[0]["attempts"] >= 2

    # when the receiver is fixed and the case worker resends from the log
    receiver.scripts["/a"] = []
    response = api(case_worker_a).post(f"{URL}{endpoint['id']}/deliveries/{log[0]['id']}/resend/")

    # then it is delivered, with the same event id, and the endpoint is no longer failing
    assert response.status_code == 202
    wait_for(lambda: receiver.processed.get("/a"), message="the resend")
    assert receiver.processed["/a"][0]["id"] == log[0]["event_id"]
    wait_for(
        lambda: WebhookEndpoint.objects.get(pk=endpoint["id"]).failing_since is None, message="not failing"
    )


def test_the_agency_hears_when_a_referral_from_its_request_is_acknowledged_and_closed(
    api, celery_worker, receiver, network, coordinator, case_worker_a, case_worker_b
):
    from referrals.models import Referral

    # given agency A's receiver for referral steps, and agency B's for everything
    register(api, case_worker_a, receiver, "/a", events=["referral.acknowledged", "referral.closed"])
    register(api, case_worker_b, receiver, "/b", events=[*ALL, "referral.acknowledged", "referral.closed"])
    request = file_request(case_worker_a, network.agency_a)

    # when the coordinator refers the person, and the target acknowledges and closes the referral
    referral = services.create_referral(
        by=coordinator,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=request.pk,
    )
    services.acknowledge_referral(referral_id=referral.pk, by=coordinator)
    services.close_referral(referral_id=referral.pk, by=coordinator, outcome="生活保護の申請に同行した")

    # then agency A hears of both steps, in order, with the status only
    wait_for(lambda: len(receiver.processed.get("/a", [])) == 2, message="both referral steps")
    steps = receiver.processed["/a"]
    assert [(e["type"], e["data"]["referral_id"], e["data"]["request_id"]) for e in steps] == [
        ("referral.acknowledged", referral.pk, request.pk),
        ("referral.closed", referral.pk, request.pk),
    ]
    assert all(e["id"].startswith("evt_rf_") for e in steps)
    assert not any("生活保護" in r.body.decode() for r in receiver.deliveries("/a"))
    # and agency B hears nothing of it
    time.sleep(1.0)
    assert receiver.deliveries("/b") == []
