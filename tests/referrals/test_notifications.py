"""Emails to the filing case worker: approved, declined, shipped (with the tracking link),
returned; only after commit; never the situation narrative."""

import pytest
from django.core import mail
from django.db import transaction

from foodbank import outbox
from foodbank.models import OutboxMessage, WorkerHeartbeat
from foodbank.tasks import heartbeat_task
from referrals import notifications, services
from referrals.models import Notification
from tests.helpers import wait_for

from .factories import TRACKING_URL, bring_to, file_request, navi_body

# The case worker's email; the same approvals also queue webhook fan-outs, which the worker may
# send at any moment and which say nothing about this email.
NOTIFY = "referrals.tasks.notify_case_worker_task"


@pytest.fixture
def case_worker_with_email(case_worker_a):
    case_worker_a.email = "tanaka@agency-a.example"
    case_worker_a.save()
    return case_worker_a


def _send_all():
    return [notifications.send(notification_id=n.pk) for n in Notification.objects.order_by("pk")]


@pytest.mark.django_db
def test_the_four_events_are_emailed_without_the_situation(
    network, case_worker_with_email, coordinator, django_capture_on_commit_callbacks
):
    # Given requests approved, declined, shipped and returned (tasks not run yet)
    approved = file_request(case_worker_with_email, network.agency_a)
    declined = file_request(case_worker_with_email, network.agency_a)
    returned = file_request(case_worker_with_email, network.agency_a)
    with django_capture_on_commit_callbacks(execute=False):
        services.approve_request(request_id=approved.pk, by=coordinator)
        services.decline_request(request_id=declined.pk, by=coordinator, reason="配送地域外です")
        bring_to(returned, "returned", coordinator)

    # When the notifications are sent
    sent = _send_all()

    # Then: approved, declined, approved, shipped, returned (scheduling and packing are not emailed)
    assert sent == [True] * 5
    assert [m.to for m in mail.outbox] == [["tanaka@agency-a.example"]] * 5
    # in the site's language, Japanese
    assert [m.subject for m in mail.outbox] == [
        f"[フードバンク] 配送依頼 {approved.reference}：承認済み",
        f"[フードバンク] 配送依頼 {declined.reference}：見送り",
        f"[フードバンク] 配送依頼 {returned.reference}：承認済み",
        f"[フードバンク] 配送依頼 {returned.reference}：発送済み",
        f"[フードバンク] 配送依頼 {returned.reference}：返送",
    ]
    bodies = [m.body for m in mail.outbox]
    assert "配送地域外です" in bodies[1]
    assert TRACKING_URL in bodies[3]
    assert "123456789013" in bodies[3]
    assert "不在のため返送" in bodies[4]
    for message in mail.outbox:
        # never the narrative, the name or the phone number
        assert "生活保護" not in message.body + message.subject
        assert "山田" not in message.body
        assert "9012345678" not in message.body


@pytest.mark.django_db
def test_a_notification_is_sent_once(
    network, case_worker_with_email, coordinator, django_capture_on_commit_callbacks
):
    request = file_request(case_worker_with_email, network.agency_a)
    with django_capture_on_commit_callbacks(execute=False):
        services.approve_request(request_id=request.pk, by=coordinator)

    assert _send_all() == [True]
    assert _send_all() == [False]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_case_workers_without_email_are_skipped(
    network, case_worker_a, coordinator, django_capture_on_commit_callbacks
):
    request = file_request(case_worker_a, network.agency_a)  # no email address
    with django_capture_on_commit_callbacks(execute=False):
        services.approve_request(request_id=request.pk, by=coordinator)

    assert _send_all() == [False]
    assert Notification.objects.get().skipped == "no_email_address"
    assert mail.outbox == []


@pytest.mark.django_db
def test_navi_self_referrals_have_no_case_worker_to_email(api, integration, coordinator):
    created = api(integration).post("/api/v1/intake/navi/", navi_body(), format="json").json()

    services.approve_request(request_id=created["id"], by=coordinator)

    assert not Notification.objects.exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_email_is_sent_by_the_worker_after_commit_and_never_after_rollback(
    celery_worker, network, case_worker_with_email, coordinator
):
    kept = file_request(case_worker_with_email, network.agency_a)
    rolled_back = file_request(case_worker_with_email, network.agency_a)

    # Given an approval inside a transaction that rolls back
    def approve_then_fail():
        with transaction.atomic():
            services.approve_request(request_id=rolled_back.pk, by=coordinator)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        approve_then_fail()

    # and one inside a transaction that commits
    with transaction.atomic():
        services.approve_request(request_id=kept.pk, by=coordinator)
        # Then nothing is sent before the commit
        assert not OutboxMessage.objects.filter(task_name=NOTIFY, sent_at__isnull=False).exists()
        assert mail.outbox == []

    # Then the worker sends the committed one's email
    wait_for(lambda: len(mail.outbox) == 1, message="the approval email")
    assert kept.reference in mail.outbox[0].subject
    # and the rolled-back one left no notification, no outbox message and no email: a marker task
    # sent after it has run, and the worker takes tasks in order.
    rolled_back.refresh_from_db()
    assert rolled_back.status == "submitted"
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.filter(task_name=NOTIFY).count() == 1
    outbox.enqueue(heartbeat_task, queue="marker")
    wait_for(lambda: WorkerHeartbeat.objects.filter(queue="marker").exists(), message="the marker task")
    assert len(mail.outbox) == 1
    wait_for(lambda: Notification.objects.filter(sent_at__isnull=False).count() == 1, message="sent_at")
