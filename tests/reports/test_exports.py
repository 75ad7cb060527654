"""Breakdowns, the CSV and Excel exports (the same numbers as the API), platform-wide suppression,
the open-data directory and the report page."""

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from foodbank.models import Site
from tests.factories import SiteFactory


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_breakdowns_exact(api, coordinator, seed):
    body = api(coordinator).get("/api/v1/reports/breakdowns/", {"fiscal_year": 2024}).json()

    types = {
        r["code"]: (r["window_visits"], r["window_handouts"], r["parcels"]) for r in body["household_types"]
    }
    # handouts: single_parent 1 Apr (2 sets); single 15 Aug (3 sets) and 31 Mar 2025 (1 set)
    # parcels: agency and programme single_parent, navi single
    assert types == {
        "single": (2, 4, 1),
        "single_parent": (1, 2, 2),
        "couple": (0, 0, 0),
        "family": (0, 0, 0),
        "elderly": (0, 0, 0),
        "other": (0, 0, 0),
        "unknown": (0, 0, 0),  # "not recorded", a category of its own
    }
    situations = {r["code"]: r["parcels"] for r in body["situations"] if r["parcels"]}
    assert situations == {"welfare_pending": 2, "job_loss": 1}
    bureaus = {r["code"]: (r["window_visits"], r["parcels"]) for r in body["regional_bureaus"]}
    # the Otaru window is in the factory's bureau (ishikari); Asahikawa in kamikawa
    assert bureaus["kamikawa"] == (1, 0)
    assert bureaus["shiribeshi"][1] == 2
    assert bureaus["ishikari"][1] == 1
    municipalities = {(r["regional_bureau"], r["municipality"]): r["parcels"] for r in body["municipalities"]}
    assert municipalities[("shiribeshi", "小樽市")] == 2
    assert municipalities[("ishikari", "札幌市北区")] == 1
    assert body["navi"] == {
        "applicants": 1,
        "first_time": 1,
        "first_time_answered": 1,
        "first_time_share": 1.0,
        "nobody_to_consult": 1,
        "consult_answered": 1,
        "nobody_to_consult_share": 1.0,
        "wants_referral": 1,
        "wants_referral_share": 1.0,
    }
    april = body["kilograms"][0]
    # sent: 10 1-day sets (0.08 + 0.4 + 0.5 = 0.98 kg) + 5 3-day sets (2.94 kg) + 1 home parcel
    # (Navi, 30 April: 0.4 + 2.0 = 2.4 kg): 9.8 + 14.7 + 2.4
    assert april == {"month": "2024-04", "received_kg": "120.50", "sent_kg": "26.90"}
    assert body["kilograms"][11]["received_kg"] == "0.00"


def test_excel_holds_the_same_numbers_as_the_api(api, coordinator, seed):
    client = api(coordinator)
    months = client.get("/api/v1/reports/monthly/", {"fiscal_year": 2024}).json()["months"]

    response = client.get("/api/v1/reports/export/xlsx/", {"fiscal_year": 2024})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "monthly",
        "household_types",
        "situations",
        "regional_bureaus",
        "municipalities",
        "navi",
        "kilograms",
        "tonnage",
    ]
    rows = list(workbook["monthly"].iter_rows(min_row=3, values_only=True))
    assert len(rows) == 13  # twelve months and the total
    keys = [
        "agency_parcels",
        "navi_parcels",
        "window_sets_shipped",
        "window_handouts",
        "window_visits",
        "pantry_backup",
    ]
    for row, month in zip(rows, months, strict=False):
        expected = [month["month"]]
        for key in keys:
            expected += [month[key], month["previous"][key]]
        assert list(row) == expected
    assert rows[12][7] == 6  # total sets handed out in FY2024
    kilograms = list(workbook["kilograms"].iter_rows(min_row=3, values_only=True))
    assert kilograms[0] == ("2024-04", 120.5, 26.9)


def test_csv_export_of_one_table(api, coordinator, seed):
    response = api(coordinator).get(
        "/api/v1/reports/export/csv/", {"fiscal_year": 2024, "table": "situations"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    by_code = {row[0]: row[2] for row in rows[1:]}
    assert by_code["job_loss"] == "1"
    assert by_code["welfare_pending"] == "2"
    assert len(rows) == 1 + 8


def test_exports_refused_to_other_roles(api, window_staff_a, seed):
    client = api(window_staff_a)
    assert client.get("/api/v1/reports/export/xlsx/", {"fiscal_year": 2024}).status_code == 403
    assert client.get("/api/v1/reports/export/csv/", {"scope": "platform"}).status_code == 403


def test_platform_export_suppresses_small_counts(api, coordinator, other_coordinator, seed):
    # given April 2024: one handout (2 sets) here and one (1 set) at the other food bank; 15 sets shipped
    response = api(other_coordinator).get(
        "/api/v1/reports/export/csv/", {"fiscal_year": 2024, "scope": "platform"}
    )

    rows = _csv(response)
    april = rows[1]
    # then counts under 3 are "<3", larger ones shown, zeros shown (columns: month, then each
    # figure beside its previous year, in the order of the API)
    assert april[0] == "2024-04"
    assert april[9] == "<3"  # window_visits
    assert april[7] == "3"  # window_handouts
    assert april[5] == "15"  # window_sets_shipped
    assert april[11] == "0"  # pantry_backup
    # and no total row (it would give suppressed cells away)
    assert len(rows) == 1 + 12
    assert not any(cell in ("1", "2") for row in rows[1:] for cell in row[1:])


def test_platform_navi_share_hidden_with_its_small_count(api, coordinator, seed):
    workbook = load_workbook(
        io.BytesIO(
            api(coordinator)
            .get("/api/v1/reports/export/xlsx/", {"fiscal_year": 2024, "scope": "platform"})
            .content
        )
    )
    navi = list(workbook["navi"].iter_rows(min_row=3, values_only=True))
    assert navi[0][1:] == ("<3", "<3", None)


OPEN_DATA_COLUMNS = [
    "id",
    "name",
    "organisation",
    "food_bank",
    "postal_code",
    "prefecture",
    "municipality",
    "municipality_code",
    "regional_bureau",
    "address",
    "building",
    "opening_hours",
    "phone",
]


def test_open_data_windows_csv_is_public_with_documented_columns(client, network):
    # given an inactive window and a warehouse
    SiteFactory(
        code="closed",
        organisation=network.agency_a,
        food_bank=network.food_bank,
        name="閉鎖窓口",
        active=False,
    )

    response = client.get("/open-data/windows.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0] == OPEN_DATA_COLUMNS
    names = sorted(r[1] for r in rows[1:])
    # then only active windows, of every food bank
    assert names == sorted(["小樽窓口", "旭川窓口", "函館窓口"])
    asahikawa = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[1] == "旭川窓口")
    assert asahikawa["postal_code"] == "0700031"
    assert asahikawa["municipality_code"] == "01204"
    assert asahikawa["organisation"] == "旭川市自立サポート"
    assert Site.objects.filter(kind=Site.Kind.WAREHOUSE).exists()


def test_open_data_descriptor_lists_the_csv_columns(client, network):
    descriptor = json.loads(client.get("/open-data/windows.json").content)

    assert [f["name"] for f in descriptor["schema"]["fields"]] == OPEN_DATA_COLUMNS
    assert descriptor["encoding"] == "utf-8-sig"
    assert descriptor["path"].endswith("/open-data/windows.csv")


def test_report_page_has_charts_and_tables(client, coordinator, seed):
    client.force_login(coordinator)

    response = client.get("/reports/", {"fiscal_year": 2024}, HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 4
    assert 'id="municipalities"' in html
    assert "/api/v1/reports/export/xlsx/?fiscal_year=2024" in html


@pytest.mark.parametrize("actor", ["window_staff_a", "case_worker_a"])
def test_report_page_refused_to_other_roles(client, request, seed, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.get("/reports/").status_code == 403


def test_decimal_weights_are_exact(seed):
    from reports.selectors import pack_weights

    weights = sorted(pack_weights(None).values())
    assert weights == [Decimal("0.980"), Decimal("2.400"), Decimal("2.940")]
