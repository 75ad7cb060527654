"""The condition check at the window and the packing table (docs/traceability.md): one tick, on by
default; unticked is recorded as "not checked" (nothing is refused) and the recall trail shows it."""

import io
import re

import pytest
from pypdf import PdfReader

from inventory import recall as recall_services
from inventory.models import Handout
from shipping.models import Parcel, ParcelEvent
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble, restock

pytestmark = pytest.mark.django_db

CHECKBOX = re.compile(r'<input type="checkbox" name="condition_checked"[^>]*>')


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_window_handouts_record_the_condition_check_and_the_trail_counts_the_unchecked(
    api, client, network, catalogue, donated, coordinator, window_staff_a
):
    # Given 1-day sets made from the donor's rice at window A
    day1 = assemble(network, catalogue.day1, 4, coordinator)
    restock(network, network.window_a, catalogue.day1, 4, coordinator, window_staff_a)
    site = network.window_a

    # The window page offers the check, already ticked
    client.force_login(window_staff_a)
    html = client.get(f"/windows/{site.pk}/").content.decode()
    (box,) = CHECKBOX.findall(html)
    assert " checked" in box
    assert "確認済み：包装に破損がなく、期限内" in html

    # When staff untick it on the page, the handout is still recorded, as not checked
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)
    form = {"idempotency_key": key, "choice": "day1", "household_size": "", "household_type": "unknown"}
    assert client.post(f"/windows/{site.pk}/", form).status_code == 302
    # and through the API (what the offline queue sends): left out it is checked, false is kept
    staff = api(window_staff_a)
    lines = [{"pack_type": "day1", "quantity": 1}]
    default = staff.post("/api/v1/handouts/", {"site": site.pk, "lines": lines}, format="json")
    unticked = staff.post(
        "/api/v1/handouts/", {"site": site.pk, "lines": lines, "condition_checked": False}, format="json"
    )
    assert (default.status_code, unticked.status_code) == (201, 201)
    assert default.json()["condition_checked"] is True
    assert unticked.json()["condition_checked"] is False
    assert staff.get(f"/api/v1/handouts/{unticked.json()['id']}/").json()["condition_checked"] is False
    assert sorted(Handout.objects.values_list("condition_checked", flat=True)) == [False, False, True]

    # Then the recall trail of the rice counts the window's handouts, two of them not checked
    data = api(coordinator).get(f"/api/v1/recalls/trace/?lot={donated.rice.pk}").json()
    assert [(h["site_name"], h["handouts"], h["sets"], h["unchecked"]) for h in data["window_handouts"]] == [
        (site.name, 3, 3, 2)
    ]
    assert day1.code in {lot["code"] for lot in data["lots"]}
    client.force_login(coordinator)
    assert "うち状態未確認 2件" in client.get(f"/recall/?lot={donated.rice.code}").content.decode()
    page = api(coordinator)
    recall = recall_services.start_recall(
        food_bank=network.food_bank, reason="メーカー回収", started_by=coordinator, lot=donated.rice
    )
    csv = b"".join(page.get(f"/api/v1/recalls/{recall.pk}/report.csv").streaming_content).decode("utf-8-sig")
    assert "handouts=3 condition_not_checked=2" in csv
    assert "3件（うち状態未確認 2件）" in _pdf_text(
        page.get(f"/api/v1/recalls/{recall.pk}/report.pdf").content
    )


def test_the_packing_event_records_the_check_from_the_station_and_the_api(
    api, client, network, catalogue, donated, coordinator, volunteer, case_worker_a, b2_account
):
    # Given three parcels of home packs made from the donor's rice
    assemble(network, catalogue.home, 3, coordinator)
    approved_requests(3, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(b2_account).pk)
    first, second, third = Parcel.objects.filter(batch=batch).order_by("reference")

    # The station shows the check with the parcel, already ticked
    client.force_login(volunteer)
    html = client.get(f"/shipping/batches/{batch.pk}/pack/?parcel={first.pk}").content.decode()
    (box,) = CHECKBOX.findall(html)
    assert " checked" in box

    # When one is packed at the station with the box ticked, one at the station unticked, one by
    # the API with the check left out
    url = f"/shipping/batches/{batch.pk}/pack/"
    assert client.post(f"{url}{first.pk}/", {"condition_checked": "on"}).status_code == 302
    assert client.post(f"{url}{second.pk}/", {}).status_code == 302
    response = api(volunteer).post(f"/api/v1/parcels/{third.pk}/packed/", {}, format="json")
    assert response.status_code == 200, response.content

    # Then each is packed (an unticked check does not hold food back) and the packing event says
    # what was checked
    assert set(Parcel.objects.filter(batch=batch).values_list("status", flat=True)) <= {
        "packed",
        "label_issued",
    }
    events = ParcelEvent.objects.filter(condition_checked__isnull=False).order_by("parcel__reference")
    assert [(e.parcel_id, e.condition_checked, e.by) for e in events] == [
        (first.pk, True, volunteer),
        (second.pk, False, volunteer),
        (third.pk, True, volunteer),
    ]
    # and the recall trail lists the parcels with their check
    data = api(coordinator).get(f"/api/v1/recalls/trace/?lot={donated.rice.pk}").json()
    assert [(p["reference"], p["condition_checked"]) for p in data["parcels"]] == [
        (first.reference, True),
        (second.reference, False),
        (third.reference, True),
    ]
    client.force_login(coordinator)
    assert "未確認" in client.get(f"/recall/?lot={donated.rice.code}").content.decode()


def test_the_packing_api_takes_the_check_and_refuses_a_bad_value_without_packing(
    api, network, catalogue, donated, coordinator, volunteer, case_worker_a, b2_account
):
    assemble(network, catalogue.home, 1, coordinator)
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    parcel = Parcel.objects.get(batch=run_batch(tomorrow_batch(b2_account).pk))
    client = api(volunteer)

    refused = client.post(
        f"/api/v1/parcels/{parcel.pk}/packed/", {"condition_checked": "maybe"}, format="json"
    )
    assert refused.status_code == 400
    assert Parcel.objects.get(pk=parcel.pk).status == "batched"
    assert not ParcelEvent.objects.filter(condition_checked__isnull=False).exists()

    packed = client.post(f"/api/v1/parcels/{parcel.pk}/packed/", {"condition_checked": False}, format="json")
    assert packed.status_code == 200
    assert packed.json()["status"] in ("packed", "label_issued")
    assert ParcelEvent.objects.get(condition_checked__isnull=False).condition_checked is False
