"""Escalation on a real Celery worker, and feedback exports (issue 6)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from referrals import services
from referrals.models import Referral
from referrals.tasks import escalate_referrals_task
from tests.helpers import wait_for

from .factories import file_request


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_escalation_task_run_twice_by_a_real_worker_escalates_once(
    celery_worker, network, case_worker_a, coordinator, settings
):
    # given a referral sent ten days ago and never acknowledged, and a coordinator with an email
    settings.REFERRAL_ESCALATE_AFTER_WORKING_DAYS = 3
    coordinator.email = "coord@example.org"
    coordinator.save(update_fields=["email"])
    request = file_request(case_worker_a, network.agency_a)
    referral = services.create_referral(
        by=coordinator,
        recipient_id=request.recipient_id,
        source="delivery_request",
        delivery_request_id=request.pk,
    )
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=10))
    # when the beat task runs twice on the worker
    first = escalate_referrals_task.apply_async().get(timeout=30)
    second = escalate_referrals_task.apply_async().get(timeout=30)
    # then it escalated once, with one event and one email to the coordinator
    assert (first, second) == (1, 0)
    wait_for(
        lambda: Referral.objects.filter(pk=referral.pk, escalation_emailed_at__isnull=False).exists(),
        message="escalation email",
    )
    assert Referral.objects.get(pk=referral.pk).events.filter(kind="escalated").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coord@example.org"]
    assert "山田" not in mail.outbox[0].body


def test_escalation_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["referrals-escalate-unacknowledged"]
    assert entry["task"] == escalate_referrals_task.name == "referrals.tasks.escalate_referrals_task"


def test_private_feedback_never_appears_in_an_export(network, coordinator):
    # given one publishable and one private message
    services.record_feedback(
        food_bank_id=network.food_bank.pk,
        by=coordinator,
        message="本当に助かりました",
        may_be_published=True,
        received_on=date(2025, 6, 1),
    )
    services.record_feedback(
        food_bank_id=network.food_bank.pk,
        by=coordinator,
        message="夫には知られたくない",
        may_be_published=False,
        received_on=date(2025, 6, 2),
    )
    client = Client()
    client.force_login(coordinator)
    # when the coordinator exports feedback
    response = client.get("/feedback/export.csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    # then only the publishable message is in it
    assert response.status_code == 200
    assert content == "received_on,message\r\n2025-06-01,本当に助かりました\r\n"


def test_feedback_export_is_for_coordinators_only(network, window_staff_a):
    client = Client()
    client.force_login(window_staff_a)
    assert client.get("/feedback/export.csv").status_code == 403
