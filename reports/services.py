"""Writes of the reports app: the daily roll-up (``reports.models``).

``refresh_rollups`` is run by the beat task ``reports.tasks.refresh_rollups_task``. It rewrites whole
days, so running it again changes nothing, and two runs at once are serialised by a row lock on the
``RollupState`` row.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory.models import Handout, HandoutLine
from referrals.models import DeliveryRequest

from . import locks
from .models import HandoutDay, ParcelDay, RollupState
from .selectors import midnight, tokyo

# A row committed up to this long after its timestamp is still seen by the next refresh: changes are
# looked for from ``changes_seen_at`` minus this margin.
COMMIT_MARGIN = timedelta(minutes=10)


def _local_day(value: datetime) -> date:
    return timezone.localtime(value, tokyo()).date()


def _ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as contiguous [start, end) ranges."""
    out: list[list[date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] == day:
            out[-1][1] = day + timedelta(days=1)
        else:
            out.append([day, day + timedelta(days=1)])
    return [(a, b) for a, b in out]


def _in_days(field: str, ranges: list[tuple[date, date]]) -> Q:
    condition = Q(pk__in=[])
    for start, end in ranges:
        condition |= Q(**{f"{field}__gte": midnight(start), f"{field}__lt": midnight(end)})
    return condition


def _changed_days(since: datetime, before: date) -> set[date]:
    """Days before ``before`` whose figures may have changed since ``since``: handouts logged or
    voided since, parcels whose status moved since (a ship, or a change after it)."""
    days = set()
    handouts = Handout.objects.filter(Q(recorded_at__gte=since) | Q(voided_at__gte=since)).filter(
        occurred_at__lt=midnight(before)
    )
    days |= {_local_day(at) for at in handouts.order_by().values_list("occurred_at", flat=True).distinct()}
    parcels = DeliveryRequest.objects.filter(
        status_changed_at__gte=since, shipped_at__isnull=False, shipped_at__lt=midnight(before)
    )
    shipped = parcels.order_by().values_list("shipped_at", flat=True).distinct()
    days |= {_local_day(at) for at in shipped if at is not None}  # never None: filtered
    return days


def rebuild_days(*, days: Iterable[date]) -> int:
    """Rewrite the roll-up rows of ``days`` from the source tables; returns the rows written."""
    ranges = _ranges(days)
    if not ranges:
        return 0
    day_q = Q(pk__in=[])
    for start, end in ranges:
        day_q |= Q(day__gte=start, day__lt=end)
    tz = tokyo()
    handouts = Handout.objects.filter(_in_days("occurred_at", ranges), voided_at__isnull=True)
    visits = (
        handouts.values("food_bank_id", "site_id", "household_type", d=TruncDate("occurred_at", tzinfo=tz))
        .annotate(n=Count("pk"))
        .order_by()
    )
    sets = (
        HandoutLine.objects.filter(_in_days("handout__occurred_at", ranges), handout__voided_at__isnull=True)
        .values(
            f=F("handout__food_bank_id"),
            s=F("handout__site_id"),
            h=F("handout__household_type"),
            d=TruncDate("handout__occurred_at", tzinfo=tz),
        )
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    # (food bank id, site id, day, household type) -> [visits, sets]
    handout_rows: dict[tuple[int, int, date, str], list[int]] = defaultdict(lambda: [0, 0])
    for visit in visits:
        key = (visit["food_bank_id"], visit["site_id"], visit["d"], visit["household_type"])
        handout_rows[key][0] = visit["n"]
    for line in sets:
        handout_rows[(line["f"], line["s"], line["d"], line["h"])][1] = line["n"]
    parcels = (
        DeliveryRequest.objects.filter(_in_days("shipped_at", ranges))
        .values(
            "food_bank_id",
            "source",
            "situation_category",
            d=TruncDate("shipped_at", tzinfo=tz),
            h=F("recipient__household_type"),
            b=F("recipient__regional_bureau"),
            m=F("recipient__municipality"),
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    with transaction.atomic():
        HandoutDay.objects.filter(day_q).delete()
        ParcelDay.objects.filter(day_q).delete()
        HandoutDay.objects.bulk_create(
            [
                HandoutDay(food_bank_id=fb, site_id=site, day=day, household_type=ht, visits=v, sets=s)
                for (fb, site, day, ht), (v, s) in handout_rows.items()
            ],
            batch_size=2000,
        )
        parcel_rows = [
            ParcelDay(
                food_bank_id=row["food_bank_id"],
                day=row["d"],
                source=row["source"],
                household_type=row["h"],
                situation_category=row["situation_category"],
                regional_bureau=row["b"] or "",
                municipality=row["m"] or "",
                parcels=row["n"],
            )
            for row in parcels
        ]
        ParcelDay.objects.bulk_create(parcel_rows, batch_size=2000)
    return len(handout_rows) + len(parcel_rows)


class RefreshResult(TypedDict):
    days: int  # days rewritten
    rows: int  # roll-up rows written
    complete_before: str  # ISO date: every day before it is rolled up


def refresh_rollups(*, now: datetime | None = None, chunk_days: int = 366) -> RefreshResult:
    """Bring the roll-up up to the start of today (Asia/Tokyo): roll up every whole day since the
    last refresh, and rewrite the earlier days that changed since (see ``_changed_days``).

    Holds a lock on the ``RollupState`` row for the whole refresh, so concurrent runs queue. The
    first run rolls up everything there is, in chunks of ``chunk_days`` days.
    """
    now = now or timezone.now()
    today = _local_day(now)
    RollupState.objects.get_or_create(name="daily")
    with transaction.atomic():
        state = locks.lock_rollup_state("daily")
        if state.complete_before is None:
            first = _first_day()
            new_days = _days(first, today) if first else []
            changed: set[date] = set()
        else:
            # Every refresh sets both (below), so this is unset only before the first one.
            if state.changes_seen_at is None:
                raise RuntimeError("roll-up state: complete_before is set but changes_seen_at is not")
            new_days = _days(state.complete_before, today)
            changed = _changed_days(state.changes_seen_at - COMMIT_MARGIN, state.complete_before)
        todo = sorted(changed | set(new_days))
        written = 0
        for i in range(0, len(todo), chunk_days):
            written += rebuild_days(days=todo[i : i + chunk_days])
        state.complete_before = max(today, state.complete_before or today)
        state.changes_seen_at = now
        state.refreshed_at = timezone.now()
        state.save(update_fields=["complete_before", "changes_seen_at", "refreshed_at"])
    return {"days": len(todo), "rows": written, "complete_before": state.complete_before.isoformat()}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _first_day() -> date | None:
    firsts = [
        Handout.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first(),
        DeliveryRequest.objects.filter(shipped_at__isnull=False)
        .order_by("shipped_at")
        .values_list("shipped_at", flat=True)
        .first(),
    ]
    days = [_local_day(at) for at in firsts if at is not None]
    return min(days) if days else None
