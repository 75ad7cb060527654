"""Late entry and the household left "not recorded" (issue 16): a handout keeps when it happened,
within the allowed delay; the reports count it on that day and month, and count an unknown
household as its own category."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from inventory.models import Balance, Handout, StockMovement
from reports import selectors as report_selectors
from reports import services as report_services
from reports.models import HandoutDay

from .helpers import put_stock

pytestmark = pytest.mark.django_db

URL = "/api/v1/handouts/"
ONE_DAY_SET = [{"pack_type": "day1", "quantity": 1}]


@pytest.fixture
def stocked(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5)
    return network.window_a


def _local(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _writes():
    return (
        Handout.objects.count(),
        StockMovement.objects.count(),
        sorted(Balance.objects.values_list("pk", "on_hand")),
    )


def test_a_handout_for_yesterday_is_counted_on_yesterday_and_in_its_month(
    api, stocked, window_staff_a, coordinator, network
):
    yesterday = timezone.localdate() - timedelta(days=1)
    happened = _local(yesterday, 23, 30)

    # When window staff log, today, a handout that happened yesterday at 23:30
    response = api(window_staff_a).post(
        URL, {"site": stocked.pk, "lines": ONE_DAY_SET, "occurred_at": happened.isoformat()}, format="json"
    )

    # Then it keeps both times
    assert response.status_code == 201
    handout = Handout.objects.get()
    assert handout.occurred_at == happened
    assert timezone.localdate(handout.recorded_at) == timezone.localdate()
    # and the monthly report counts it in yesterday's month (not today's, when they differ)
    fiscal_year = report_selectors.fiscal_year_of(yesterday)
    report = api(coordinator).get("/api/v1/reports/monthly/", {"fiscal_year": fiscal_year}).json()
    by_month = {row["month"]: row["window_visits"] for row in report["months"]}
    assert by_month[yesterday.strftime("%Y-%m")] == 1
    assert sum(by_month.values()) == 1
    # and once yesterday is rolled up, the day's row holds it
    report_services.refresh_rollups()
    assert list(HandoutDay.objects.values_list("day", "visits", "sets")) == [(yesterday, 1, 1)]


def test_the_allowed_delay_is_checked_on_the_server(api, stocked, window_staff_a, settings):
    settings.HANDOUT_LATE_ENTRY_DAYS = 2
    first_allowed_day = timezone.localdate() - timedelta(days=2)
    client = api(window_staff_a)
    before = _writes()

    # When the time lies one minute before the first allowed day (two days back, 00:00)
    too_late = client.post(
        URL,
        {
            "site": stocked.pk,
            "lines": ONE_DAY_SET,
            "occurred_at": (_local(first_allowed_day, 0) - timedelta(minutes=1)).isoformat(),
        },
        format="json",
    )

    # Then it is refused with a message for the field, and nothing is written
    assert too_late.status_code == 400
    assert list(too_late.json()) == ["occurred_at"]
    assert "2日" in too_late.json()["occurred_at"][0]
    assert _writes() == before

    # When it lies at the first minute of that day, it is recorded
    in_time = client.post(
        URL,
        {"site": stocked.pk, "lines": ONE_DAY_SET, "occurred_at": _local(first_allowed_day, 0).isoformat()},
        format="json",
    )
    assert in_time.status_code == 201
    assert Handout.objects.get().occurred_at == _local(first_allowed_day, 0)


def test_a_handout_without_a_household_is_not_recorded_not_single(api, stocked, window_staff_a, coordinator):
    # When a handout is posted without a household (the API's default, like the page's two taps)
    response = api(window_staff_a).post(URL, {"site": stocked.pk, "lines": ONE_DAY_SET}, format="json")

    # Then its household is "unknown", with no size
    assert response.status_code == 201
    assert response.json()["household"] == {"size": None, "type": "unknown"}
    assert Handout.objects.values_list("household_size", "household_type").get() == (None, "unknown")
    # and the breakdown shows "not recorded" as its own category, apart from single households
    fiscal_year = report_selectors.current_fiscal_year()
    body = api(coordinator).get("/api/v1/reports/breakdowns/", {"fiscal_year": fiscal_year}).json()
    by_code = {row["code"]: row for row in body["household_types"]}
    assert (by_code["unknown"]["label"], by_code["unknown"]["window_visits"]) == ("未記入", 1)
    assert by_code["single"]["window_visits"] == 0
    assert sum(row["window_visits"] for row in body["household_types"]) == 1


def test_the_page_takes_when_it_happened(client, stocked, window_staff_a):
    client.force_login(window_staff_a)
    page = client.get(f"/windows/{stocked.pk}/").content.decode()
    key = page.split('name="idempotency_key" value="')[1][:32]
    earlier = _local(timezone.localdate(), 0, 5)

    # When the staff member sets 「いつ」 to earlier today and records a 1-day set
    response = client.post(
        f"/windows/{stocked.pk}/",
        {
            "idempotency_key": key,
            "choice": "day1",
            "household_size": "",
            "household_type": "unknown",
            "occurred_at": timezone.localtime(earlier).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    # Then the handout keeps that time
    assert response.status_code == 302
    assert Handout.objects.get().occurred_at == earlier
    assert "いつ" in page


def test_the_page_refuses_a_time_beyond_the_allowed_delay(client, stocked, window_staff_a, settings):
    settings.HANDOUT_LATE_ENTRY_DAYS = 1
    client.force_login(window_staff_a)
    page = client.get(f"/windows/{stocked.pk}/").content.decode()
    key = page.split('name="idempotency_key" value="')[1][:32]
    before = _writes()

    response = client.post(
        f"/windows/{stocked.pk}/",
        {
            "idempotency_key": key,
            "choice": "day1",
            "household_type": "unknown",
            "occurred_at": (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 400
    assert "1日" in response.content.decode()
    assert _writes() == before
