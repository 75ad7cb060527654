"""django-axes' records of logins and failed logins are deleted by the real worker once they are
older than AXES_RECORD_RETENTION_DAYS (default 90); newer ones, and live lockouts, stay."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.db import transaction
from django.utils import timezone

from foodbank import outbox
from foodbank.tasks import purge_login_records_task

from ..helpers import wait_for


def _log_in(client, password: str):
    return client.post("/accounts/login/", {"username": "window_a", "password": password})


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_login_records_older_than_the_retention_are_purged_by_the_worker(
    client, window_staff_a, settings, celery_worker
):
    # Given the default retention of 90 days, two logins and a failed one (a lockout counter)
    assert settings.AXES_RECORD_RETENTION_DAYS == 90
    for _ in range(2):
        assert _log_in(client, "pw-for-tests").status_code == 302
        client.logout()
    assert _log_in(client, "wrong").status_code == 200
    assert AccessLog.objects.count() == 2
    assert AccessAttempt.objects.count() == 1
    # ... one login 91 days ago, the other 89 days ago, and the failed attempt 91 days ago
    now = timezone.now()
    old_log, recent_log = AccessLog.objects.order_by("pk")
    AccessLog.objects.filter(pk=old_log.pk).update(attempt_time=now - timedelta(days=91))
    AccessLog.objects.filter(pk=recent_log.pk).update(attempt_time=now - timedelta(days=89))
    AccessAttempt.objects.update(attempt_time=now - timedelta(days=91))

    # When the nightly purge runs on a real worker
    with transaction.atomic():
        outbox.enqueue(purge_login_records_task)

    # Then what is past the retention is gone and the recent login stays
    wait_for(lambda: not AccessLog.objects.filter(pk=old_log.pk).exists(), message="the purge")
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_log.pk]
    assert AccessAttempt.objects.count() == 0


@pytest.mark.django_db
def test_the_retention_is_configurable_and_a_fresh_lockout_counter_stays(client, window_staff_a, settings):
    # Given a retention of 7 days, a login eight days ago and a failed login a moment ago
    settings.AXES_RECORD_RETENTION_DAYS = 7
    assert _log_in(client, "pw-for-tests").status_code == 302
    client.logout()
    AccessLog.objects.update(attempt_time=timezone.now() - timedelta(days=8))
    assert _log_in(client, "wrong").status_code == 200

    # When the purge runs (the task's body, in this process)
    deleted = purge_login_records_task()

    # Then the eight-day-old login went, the live lockout counter did not
    assert deleted == 1
    assert AccessLog.objects.count() == 0
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [("window_a", 1)]
