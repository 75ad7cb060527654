"""The steps of a request's journey, each as the person who acts takes it: through the public API
(``/api/v1/``) or a page, with a real Celery worker building the batch."""

import csv
import io
import re
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from shipping.models import ParcelEvent
from tests.helpers import api_client_for, wait_for
from tests.referrals.factories import body


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.json()


def file_request(case_worker, **changes) -> dict:
    """A case worker files a delivery request (``tests.referrals.factories.BODY`` with ``changes``)."""
    return ok(
        api_client_for(case_worker).post("/api/v1/delivery-requests/", body(**changes), format="json"), 201
    )


def approve(coordinator, request_id: int) -> dict:
    return ok(api_client_for(coordinator).post(f"/api/v1/delivery-requests/{request_id}/approve/", {}))


def request_as(user, request_id: int) -> dict:
    return ok(api_client_for(user).get(f"/api/v1/delivery-requests/{request_id}/"))


def run_batch(coordinator, *, timeout: float = 240) -> dict:
    """Tomorrow's batch (today's cutoff may have passed), built by the worker until ``ready``."""
    ship_date = (timezone.localdate() + timedelta(days=1)).isoformat()
    client = api_client_for(coordinator)
    batch = ok(client.post("/api/v1/dispatch-batches/", {"ship_date": ship_date}, format="json"), 202)
    return wait_ready(coordinator, batch["id"], timeout=timeout)


def wait_ready(user, batch_id: int, *, timeout: float = 240) -> dict:
    client = api_client_for(user)

    def ready():
        batch = ok(client.get(f"/api/v1/dispatch-batches/{batch_id}/"))
        assert batch["status"] != "failed", batch
        return batch if batch["status"] == "ready" else None

    return wait_for(ready, timeout=timeout, message=f"batch {batch_id} ready")


def parcels_of(user, batch_id: int) -> list[dict]:
    body = ok(api_client_for(user).get(f"/api/v1/parcels/?batch={batch_id}"))
    return body["results"] if isinstance(body, dict) else body


def document(user, batch_id: int, kind: str) -> bytes:
    response = api_client_for(user).get(f"/api/v1/dispatch-batches/{batch_id}/documents/{kind}/")
    assert response.status_code == 200, (kind, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def csv_rows(carrier_csv: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(carrier_csv.decode("cp932"), newline="")))


def parcel_reference(carrier_reference: str) -> str:
    """The parcel a carrier reference names: a parcel of several boxes has one per box,
    ``<reference>-<n>of<N>`` (docs/shipping-b2.md, "Several boxes")."""
    return re.sub(r"-\d+of\d+$", "", carrier_reference)


def csv_parcels(rows: list[list[str]]) -> list[str]:
    """The parcel references of a carrier CSV's rows (header skipped), once each."""
    return list(dict.fromkeys(parcel_reference(row[0]) for row in rows[1:]))


def page_as(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def tracking_number(first_eleven: int) -> str:
    """A Yamato number with its check digit (the first eleven digits mod 7)."""
    return f"{first_eleven:011d}{first_eleven % 7}"


def b2_issued_data(carrier_csv: bytes, numbers: dict[str, str]) -> bytes:
    """What B2 Cloud gives back after printing: our CSV with 伝票番号 (column 4) filled in.

    ``numbers`` maps a row's お客様管理番号 to its number. A parcel of several boxes has a row per
    box (``<reference>-<n>of<N>``, docs/shipping-b2.md "Several boxes"): given only the parcel's
    reference, box 1 gets that number and box n the one 1000 × (n - 1) after it."""
    rows = csv_rows(carrier_csv)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        box = re.match(r"^(?P<reference>.+)-(?P<n>\d+)of\d+$", row[0])
        if row[0] in numbers:
            row[3] = numbers[row[0]]
        elif box and box["reference"] in numbers:
            row[3] = tracking_number(int(numbers[box["reference"]][:11]) + 1000 * (int(box["n"]) - 1))
        else:
            continue
        writer.writerow(row)
    return out.getvalue().encode("cp932")


def backdate_handover(parcel_id: int, *, days: int) -> None:
    """Move a parcel's hand-over ``days`` into the past, as if that many days had gone by.

    Parcel events are append-only in the database (``foodbank/append_only.py``): the test lifts the
    trigger for this one UPDATE, as only a table owner can, and puts it back.
    """
    table, trigger = "shipping_parcelevent", "shipping_parcelevent_append_only"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        ParcelEvent.objects.filter(parcel_id=parcel_id, to_status="handed_over").update(
            at=timezone.now() - timedelta(days=days)
        )
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
