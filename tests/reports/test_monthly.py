"""The monthly report: exact figures for a seeded fiscal year, its boundaries, the previous year,
scoping by role and food bank, and the roll-up giving the same figures as the live count."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from reports import selectors, services
from reports.models import HandoutDay, ParcelDay

from .helpers import EXPECTED, EXPECTED_PREVIOUS, ZERO

URL = "/api/v1/reports/monthly/"
MONTHS = [
    "2024-04",
    "2024-05",
    "2024-06",
    "2024-07",
    "2024-08",
    "2024-09",
    "2024-10",
    "2024-11",
    "2024-12",
    "2025-01",
    "2025-02",
    "2025-03",
]


def expected_months():
    out = []
    for month in MONTHS:
        before = f"{int(month[:4]) - 1}{month[4:]}"
        out.append(
            {
                "month": month,
                **EXPECTED.get(month, ZERO),
                "previous": {"month": before, **EXPECTED_PREVIOUS.get(before, ZERO)},
            }
        )
    return out


def test_monthly_report_exact_figures_with_previous_year(api, coordinator, seed, network):
    # given the seeded FY2023 and FY2024
    # when the coordinator asks for FY2024
    response = api(coordinator).get(URL, {"fiscal_year": 2024})

    # then every month is counted by hand, the previous year beside it
    assert response.status_code == 200
    body = response.json()
    assert body["fiscal_year"] == 2024
    assert body["food_bank"] == network.food_bank.pk
    assert body["months"] == expected_months()
    assert body["totals"] == {
        "agency_parcels": 2,
        "navi_parcels": 1,
        "window_sets_shipped": 15,
        "window_handouts": 6,
        "window_visits": 3,
        "pantry_backup": 0,
        "previous": {
            **ZERO,
            "agency_parcels": 1,
            "window_sets_shipped": 4,
            "window_handouts": 3,
            "window_visits": 2,
        },
    }


def test_month_boundaries_are_midnight_in_tokyo(coordinator, seed, network):
    # given handouts at 31 March 2025 23:59 and 1 April 2025 00:00 JST (14:59 and 15:00 UTC)
    # when FY2025 is reported
    fy2025 = selectors.monthly_report([network.food_bank.pk], 2025)

    # then the 1 April one opens FY2025 and the 31 March one is its previous year's March
    assert fy2025["months"][0]["window_visits"] == 1
    assert fy2025["months"][0]["window_handouts"] == 1
    assert fy2025["months"][11]["previous"]["window_visits"] == 1
    assert fy2025["months"][11]["previous"]["month"] == "2025-03"


def test_voided_handout_is_not_counted(seed, network):
    # given a handout of two 3-day sets in August 2024 that was voided
    # then August counts only the other handout
    august = selectors.monthly_report([network.food_bank.pk], 2024)["months"][4]
    assert (august["window_visits"], august["window_handouts"]) == (1, 3)


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a", "volunteer", "integration"])
def test_other_roles_are_refused(api, request, seed, actor):
    response = api(request.getfixturevalue(actor)).get(URL, {"fiscal_year": 2024})

    assert response.status_code == 403


def test_anonymous_is_refused(client, seed):
    assert client.get(URL).status_code in (401, 403)


def test_other_food_bank_is_not_counted_and_not_readable(api, other_coordinator, coordinator, seed, network):
    # given the other food bank has one handout (April 2024) and one parcel (December 2024)
    # when its coordinator asks
    body = api(other_coordinator).get(URL, {"fiscal_year": 2024}).json()

    # then they see only their own
    assert body["months"][0]["window_visits"] == 1
    assert body["months"][0]["window_sets_shipped"] == 0
    assert body["months"][8]["agency_parcels"] == 1
    assert body["totals"]["window_visits"] == 1
    # and our coordinator cannot name their food bank
    response = api(coordinator).get(URL, {"fiscal_year": 2024, "food_bank": network.other_food_bank.pk})
    assert response.status_code == 404


def test_bad_fiscal_year_is_400(api, coordinator, seed):
    response = api(coordinator).get(URL, {"fiscal_year": "last"})

    assert response.status_code == 400
    assert "fiscal_year" in response.json()


def test_rollup_gives_the_same_figures_as_the_live_count(seed, network):
    # given the live figures
    ids = [network.food_bank.pk]
    live = selectors.monthly_report(ids, 2024)
    live_breakdowns = selectors.breakdowns(ids, 2024)
    # when the roll-up is refreshed as of 1 September 2024 (days before are rolled up, later live)
    services.refresh_rollups(now=datetime(2024, 9, 1, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo")))

    # then the report reads both and is unchanged
    assert selectors.rolled_up_before().isoformat() == "2024-09-01"
    assert HandoutDay.objects.filter(food_bank=network.food_bank).count() == 4
    assert ParcelDay.objects.filter(food_bank=network.food_bank).count() == 2
    assert selectors.monthly_report(ids, 2024) == live
    assert selectors.breakdowns(ids, 2024) == live_breakdowns

    # and when everything is rolled up, still unchanged, and a second run writes the same rows
    services.refresh_rollups()
    rows = sorted(HandoutDay.objects.values_list("site_id", "day", "household_type", "visits", "sets"))
    services.refresh_rollups()
    assert (
        sorted(HandoutDay.objects.values_list("site_id", "day", "household_type", "visits", "sets")) == rows
    )
    assert selectors.monthly_report(ids, 2024) == live
    assert selectors.breakdowns(ids, 2024) == live_breakdowns


def test_rollup_rewrites_a_day_voided_after_it_was_rolled_up(seed, network):
    # given everything rolled up
    ids = [network.food_bank.pk]
    services.refresh_rollups()
    first = seed.handouts[0]
    # when the 1 April 2024 handout is voided afterwards
    type(first).objects.filter(pk=first.pk).update(voided_at=datetime.now(tz=ZoneInfo("UTC")))

    # then the next refresh rewrites that day
    services.refresh_rollups()
    april = selectors.monthly_report(ids, 2024)["months"][0]
    assert (april["window_visits"], april["window_handouts"]) == (0, 0)


def test_monthly_query_count(api, coordinator, seed, django_assert_num_queries):
    client = api(coordinator)
    # token with user and memberships (1, one join), roll-up state (1), handouts: visits and sets
    # (2), parcels (1), restock sets (1), pantry shipments (1: shipping.Parcel with source "pantry").
    with django_assert_num_queries(7):
        assert client.get(URL, {"fiscal_year": 2024}).status_code == 200
