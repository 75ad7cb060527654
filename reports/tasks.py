"""Celery tasks of the reports app."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="reports.tasks.refresh_rollups_task", soft_time_limit=1500, time_limit=1800)
def refresh_rollups_task() -> services.RefreshResult:
    """Roll up the days since the last run and rewrite earlier days that changed. Rewrites whole
    days, so a repeated or overlapping run changes nothing (runs queue on a row lock)."""
    result = services.refresh_rollups()
    logger.info("reports roll-up refreshed: %s days, %s rows", result["days"], result["rows"])
    return result
