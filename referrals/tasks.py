"""Celery tasks of the referrals domain. Each takes ids or plain values, is idempotent and
re-checks consent when it runs (a withdrawal after it was queued stops it)."""

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from . import notifications, retention, services

logger = logging.getLogger(__name__)


@shared_task(
    name="referrals.tasks.notify_case_worker_task",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def notify_case_worker_task(notification_ids: list[int]) -> int:
    """Email the filing case workers about these status changes; returns how many were sent.
    A notification already sent is skipped, so a resent task emails nobody twice."""
    return sum(notifications.send(notification_id=pk) for pk in notification_ids)


@shared_task(name="referrals.tasks.create_monthly_requests_task", time_limit=30 * 60, soft_time_limit=25 * 60)
def create_monthly_requests_task(month: str | None = None) -> int:
    """Beat, on the 1st of each month: this month's parcels for the programme's enrolments.
    ``month`` (ISO date, any day of it) defaults to the current month in Asia/Tokyo. Running it
    again creates nothing new."""
    first = date.fromisoformat(month) if month else timezone.localdate()
    created = services.create_monthly_requests(month=first.replace(day=1))
    logger.info("Monthly programme %s: %d requests created", first.strftime("%Y-%m"), created)
    return created


@shared_task(name="referrals.tasks.escalate_referrals_task", time_limit=10 * 60, soft_time_limit=9 * 60)
def escalate_referrals_task(today: str | None = None) -> int:
    """Beat, daily: escalate referrals unacknowledged for REFERRAL_ESCALATE_AFTER_WORKING_DAYS
    working days to the coordinators. Each is escalated once, however often this runs."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    escalated = services.escalate_overdue_referrals(today=day)
    logger.info("Referrals escalated: %d", escalated)
    return escalated


@shared_task(
    name="referrals.tasks.email_referral_escalation_task",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def email_referral_escalation_task(referral_id: int) -> bool:
    """Email the coordinators about one escalated referral (once: a resend emails nobody)."""
    return notifications.send_referral_escalation(referral_id=referral_id)


@shared_task(
    name="referrals.tasks.anonymise_closed_cases_task",
    ignore_result=True,
    time_limit=3600,
    soft_time_limit=3300,
)
def anonymise_closed_cases_task() -> dict[str, int]:
    """Beat, daily: erase the personal data of cases closed more than RETENTION_MONTHS ago. Running
    it twice changes nothing the second time."""
    return retention.anonymise_closed_cases().as_dict()
