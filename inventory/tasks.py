"""Scheduled inventory work. Each task takes plain values, calls a service and is idempotent: running
it twice on the same day leaves the same par levels, proposals and expiry reports."""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from foodbank.models import Organisation

from . import services

logger = logging.getLogger(__name__)


def _food_banks(food_bank_id: int | None) -> list[int]:
    ids = Organisation.objects.filter(kind=Organisation.Kind.FOOD_BANK, active=True)
    if food_bank_id is not None:
        ids = ids.filter(pk=food_bank_id)
    return list(ids.order_by("pk").values_list("pk", flat=True))


def _day(today: str | None) -> date:
    return date.fromisoformat(today) if today else timezone.localdate()


# A database that is briefly unavailable (or, on SQLite, locked by another writer) is worth a retry;
# the tasks are idempotent, so a retry after a partial failure is safe.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="inventory.tasks.plan_restocks_task", time_limit=600, soft_time_limit=540, **RETRY)
def plan_restocks_task(food_bank_id: int | None = None, today: str | None = None) -> dict:
    """Raise par levels for an upcoming holiday peak, then propose restocks for windows under par.

    ``today`` (ISO date) defaults to the local date; tests and re-runs pass it explicitly.
    Returns ``{food bank id: [proposed shipment ids]}``.
    """
    day = _day(today)
    out = {}
    for fb_id in _food_banks(food_bank_id):
        changed = services.raise_seasonal_par_levels(food_bank_id=fb_id, today=day)
        proposals = services.propose_restocks(food_bank_id=fb_id, today=day)
        out[str(fb_id)] = [p.pk for p in proposals]
        logger.info(
            "Restock planning for food bank %s on %s: %s par levels changed, %s proposals",
            fb_id,
            day,
            changed,
            len(proposals),
        )
    return out


@shared_task(name="inventory.tasks.expiry_reports_task", time_limit=600, soft_time_limit=540, **RETRY)
def expiry_reports_task(food_bank_id: int | None = None, today: str | None = None) -> dict:
    """List each site's stock expiring within ``INVENTORY_EXPIRY_WARNING_DAYS`` (one report per site and
    day). Returns ``{food bank id: number of sites with expiring stock}``."""
    day = _day(today)
    out = {}
    for fb_id in _food_banks(food_bank_id):
        reports = services.build_expiry_reports(
            food_bank_id=fb_id, today=day, within_days=settings.INVENTORY_EXPIRY_WARNING_DAYS
        )
        out[str(fb_id)] = len(reports)
        logger.info("Expiry reports for food bank %s on %s: %s sites", fb_id, day, len(reports))
    return out
