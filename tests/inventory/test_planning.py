"""The nightly and daily jobs: holiday par levels, restock proposals, expiry reports."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, transaction

from foodbank import outbox
from inventory import services
from inventory.models import ExpiryReport, ParLevel, RestockShipment
from inventory.tasks import expiry_reports_task, plan_restocks_task
from tests.helpers import wait_for

from .helpers import in_days, put_stock

TOKYO = ZoneInfo("Asia/Tokyo")


def at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 4, 7), None),
        (date(2026, 4, 8), ("golden_week", date(2026, 4, 29), date(2026, 5, 6))),
        (date(2026, 5, 6), ("golden_week", date(2026, 4, 29), date(2026, 5, 6))),
        (date(2026, 5, 7), None),
        (date(2026, 7, 30), ("obon", date(2026, 8, 13), date(2026, 8, 16))),
        (date(2026, 12, 20), ("new_year", date(2026, 12, 29), date(2027, 1, 3))),
        (date(2027, 1, 3), ("new_year", date(2026, 12, 29), date(2027, 1, 3))),
        (date(2027, 1, 4), None),
    ],
)
def test_holiday_peaks(today, expected, settings):
    settings.INVENTORY_PEAK_LEAD_DAYS = 21

    found = services.upcoming_peak(today)

    assert (found and (found[0].code, found[1], found[2])) == expected


def _hand_out(site, user, when: datetime, day3: int):
    services.record_handout(
        site=site,
        lines={"day3": day3},
        household_size=1,
        household_type="single",
        recorded_by=user,
        occurred_at=when,
    )


@pytest.mark.django_db
def test_par_is_raised_ahead_of_golden_week_from_last_years_handouts(
    network, catalogue, window_staff_a, settings
):
    settings.INVENTORY_PEAK_LEAD_DAYS = 21
    site = network.window_a
    level = services.set_par_level(site=site, pack_type=catalogue.day3, par=8)
    services.set_par_level(site=site, pack_type=catalogue.day1, par=10)
    put_stock(site, pack_type=catalogue.day3, quantity=30, best_before=in_days(400))
    # Given last year's 3-day handouts: 12 over Golden Week and the week before it, 5 outside
    _hand_out(site, window_staff_a, at(date(2025, 4, 10)), 5)  # before the counted period
    _hand_out(site, window_staff_a, at(date(2025, 4, 22)), 4)  # a week before 29 April
    _hand_out(site, window_staff_a, at(date(2025, 5, 2)), 5)
    _hand_out(site, window_staff_a, at(date(2025, 5, 6), hour=23), 3)  # the last day, late evening

    # When the nightly job runs three weeks before
    changed = services.raise_seasonal_par_levels(food_bank_id=network.food_bank.pk, today=date(2026, 4, 10))

    # Then the window's 3-day par is 12 until Golden Week ends; the 1-day par (no demand) stays
    level.refresh_from_db()
    assert (level.seasonal_par, level.seasonal_until, level.seasonal_label) == (
        12,
        date(2026, 5, 6),
        "golden_week-2026",
    )
    assert level.effective_on(date(2026, 5, 6)) == 12
    assert changed == 1
    assert ParLevel.objects.get(pack_type=catalogue.day1).seasonal_par is None
    # and running it again changes nothing
    assert services.raise_seasonal_par_levels(food_bank_id=network.food_bank.pk, today=date(2026, 4, 10)) == 0

    # After the peak the raised par is cleared
    assert services.raise_seasonal_par_levels(food_bank_id=network.food_bank.pk, today=date(2026, 5, 7)) == 1
    level.refresh_from_db()
    assert (level.seasonal_par, level.seasonal_until, level.effective_on(date(2026, 5, 7))) == (None, None, 8)


@pytest.mark.django_db
def test_restock_proposals_cover_the_shortfall_and_are_idempotent(network, catalogue):
    today = in_days(0)
    fb = network.food_bank.pk
    # Given window A with par 10 one-day and 8 three-day sets, holding 4 and 8, with 2 one-day
    # sets already requested; window B with par 5 three-day sets and nothing
    services.set_par_level(site=network.window_a, pack_type=catalogue.day1, par=10)
    services.set_par_level(site=network.window_a, pack_type=catalogue.day3, par=8)
    services.set_par_level(site=network.window_b, pack_type=catalogue.day3, par=5)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=4)
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=8)
    services.request_restock(site=network.window_a, lines={catalogue.day1: 2}, requested_by=None)

    # When the nightly job runs twice
    first = services.propose_restocks(food_bank_id=fb, today=today)
    second = services.propose_restocks(food_bank_id=fb, today=today)

    # Then each window short of par has one proposal with the shortfall, the same both times
    proposals = RestockShipment.objects.filter(status=RestockShipment.Status.PROPOSED).order_by("to_site_id")
    assert [p.pk for p in first] == [p.pk for p in second] == [p.pk for p in proposals]
    assert [
        (p.to_site_id, sorted((x.pack_type.code, x.quantity) for x in p.lines.all())) for p in proposals
    ] == [
        (network.window_a.pk, [("day1", 4)]),
        (network.window_b.pk, [("day3", 5)]),
    ]
    assert {p.origin for p in proposals} == {"nightly"}

    # When window A is topped up some other way, its proposal is withdrawn
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=4)
    services.propose_restocks(food_bank_id=fb, today=today)
    assert list(
        RestockShipment.objects.filter(status=RestockShipment.Status.PROPOSED).values_list(
            "to_site_id", flat=True
        )
    ) == [network.window_b.pk]
    assert RestockShipment.objects.filter(to_site=network.window_a, status="cancelled").count() == 1


@pytest.mark.django_db
def test_expiry_reports_list_what_expires_soon_per_site(network, catalogue, settings):
    today = in_days(0)
    put_stock(network.warehouse, item=catalogue.rice, quantity=30, best_before=in_days(5))
    put_stock(network.warehouse, item=catalogue.rice, quantity=9, best_before=in_days(200))
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=2, best_before=in_days(-1))
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=3, best_before=in_days(14))
    put_stock(network.window_b, pack_type=catalogue.day1, quantity=3, best_before=in_days(15))
    put_stock(network.window_b, item=catalogue.diapers, quantity=3, best_before=None)

    services.build_expiry_reports(food_bank_id=network.food_bank.pk, today=today, within_days=14)
    first = list(ExpiryReport.objects.order_by("site_id").values("site_id", "report_date", "lines"))
    services.build_expiry_reports(food_bank_id=network.food_bank.pk, today=today, within_days=14)

    assert list(ExpiryReport.objects.order_by("site_id").values("site_id", "report_date", "lines")) == first
    assert first == [
        {
            "site_id": network.warehouse.pk,
            "report_date": today,
            "lines": [
                {
                    "kind": "item",
                    "sku": "rice",
                    "name": "パックご飯",
                    "best_before": in_days(5).isoformat(),
                    "quantity": 30,
                    "expired": False,
                }
            ],
        },
        {
            "site_id": network.window_a.pk,
            "report_date": today,
            "lines": [
                {
                    "kind": "pack_type",
                    "sku": "day3",
                    "name": "3日分セット",
                    "best_before": in_days(-1).isoformat(),
                    "quantity": 2,
                    "expired": True,
                },
                {
                    "kind": "pack_type",
                    "sku": "day1",
                    "name": "1日分セット",
                    "best_before": in_days(14).isoformat(),
                    "quantity": 3,
                    "expired": False,
                },
            ],
        },
    ]


def quietly(predicate):
    """Poll without failing on SQLite's "table is locked" while the worker's thread writes (the
    test database is a shared-cache in-memory one); PostgreSQL never raises it."""

    def poll():
        try:
            return predicate()
        except OperationalError:
            return None

    return poll


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_jobs_run_on_a_real_worker(celery_worker, network, catalogue, settings):
    settings.INVENTORY_EXPIRY_WARNING_DAYS = 14
    services.set_par_level(site=network.window_a, pack_type=catalogue.day3, par=6)
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=2, best_before=in_days(3))
    today = in_days(0).isoformat()

    # When beat's entries are sent (through the outbox, as the app schedules work)
    with transaction.atomic():
        outbox.enqueue(plan_restocks_task, food_bank_id=network.food_bank.pk, today=today)
        outbox.enqueue(expiry_reports_task, food_bank_id=network.food_bank.pk, today=today)

    # Then the worker proposes the restock and lists the expiring sets
    proposal = wait_for(
        quietly(lambda: RestockShipment.objects.filter(status="proposed").first()), message="the proposal"
    )
    assert [(x.pack_type.code, x.quantity) for x in proposal.lines.all()] == [("day3", 4)]
    report = wait_for(
        quietly(lambda: ExpiryReport.objects.filter(site=network.window_a).first()), message="the report"
    )
    assert [(x["sku"], x["quantity"]) for x in report.lines] == [("day3", 2)]

    # and running them again (a redelivered message) changes nothing
    assert plan_restocks_task(food_bank_id=network.food_bank.pk, today=today) == {
        str(network.food_bank.pk): [proposal.pk]
    }
    assert RestockShipment.objects.count() == 1
    assert expiry_reports_task(food_bank_id=network.food_bank.pk, today=today) == {
        str(network.food_bank.pk): 1
    }
    assert ExpiryReport.objects.count() == 1


@pytest.mark.django_db
def test_no_proposals_without_a_warehouse_to_send_from(network, catalogue):
    # Given a window under par in a food bank that has no warehouse
    other = services.upsert_pack_type(food_bank=network.other_food_bank, code="day1", name="1日分", days=1)
    services.set_par_level(site=network.other_window, pack_type=other, par=5)

    assert services.propose_restocks(food_bank_id=network.other_food_bank.pk, today=in_days(0)) == []
    assert not RestockShipment.objects.exists()
