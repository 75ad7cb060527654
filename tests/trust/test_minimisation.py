"""Data minimisation (docs/spec.md §2, §5): a warehouse volunteer's pages, API answers and documents carry
packing data only. A person's situation note, debts and consent details are filed with unique
markers; every GET the matrix lets a volunteer make (plus the packing station on each parcel and
every document a volunteer may download) is fetched and searched for them. The coordinator's
answers show the same markers, so the search would find them if they leaked."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from referrals.models import DeliveryRequest
from shipping.models import BatchDocument, Parcel
from tests.helpers import api_client_for
from tests.referrals.factories import body, navi_body
from tests.shipping.integration import make_b2_account, run_batch, tomorrow_batch

from .matrix import ALL_ROWS
from .world import World

SITUATION = "SITMARKER7F3A"
DEBTS = "DEBTMARKER91C2"
WITNESS = "WITNESSMARKER55D"
GUARDIAN = "GUARDIANMARKER0B8"
STATUTORY = "STATUTEMARKER4E1"
MARKERS = (SITUATION, DEBTS, WITNESS, GUARDIAN, STATUTORY)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _text(response) -> str:
    """What a person (or a script) can read in an answer: HTML/JSON/CSV text, or a PDF's text."""
    if hasattr(response, "streaming_content"):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content.startswith(b"%PDF"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    for encoding in ("utf-8", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


@pytest.fixture
def marked(network, coordinator, case_worker_a, integration, volunteer, window_staff_a):
    """A delivery request and a Navi self-referral whose sensitive fields carry the markers, both
    approved and packed into a built dispatch batch."""
    world = World(
        network,
        {
            "coordinator": coordinator,
            "window_staff": window_staff_a,
            "case_worker": case_worker_a,
            "volunteer": volunteer,
            "integration": integration,
        },
    )
    world.catalogue("own")  # pack types, recipes, warehouse stock
    agency = api_client_for(case_worker_a)
    filed = agency.post(
        "/api/v1/delivery-requests/",
        body(situation__note=f"{SITUATION} 生活保護申請中", delivery_date=None, time_slot=""),
        format="json",
    )
    assert filed.status_code == 201, filed.content
    request_id = filed.json()["id"]
    recipient_id = DeliveryRequest.objects.get(pk=request_id).recipient_id
    consent = agency.post(
        "/api/v1/consents/",
        {
            "recipient": recipient_id,
            "delivery_request": request_id,
            "purpose": "phone_contact",
            "decision": "given",
            "method": "verbal",
            "witness_name": WITNESS,
            "by_guardian": True,
            "guardian_name": GUARDIAN,
            "basis": "statutory_exception",
            "statutory_basis": STATUTORY,
        },
        format="json",
    )
    assert consent.status_code == 201, consent.content
    answers = {**navi_body()["answers"], "debts_note": DEBTS}
    navi = api_client_for(integration).post(
        "/api/v1/intake/navi/", navi_body(answers=answers, application_id="NAVI-MIN-1"), format="json"
    )
    assert navi.status_code == 201, navi.content
    navi_id = navi.json()["id"]

    boss = api_client_for(coordinator)
    for pk in (request_id, navi_id):
        assert boss.post(f"/api/v1/delivery-requests/{pk}/approve/", {}, format="json").status_code == 200
    DeliveryRequest.objects.filter(pk__in=[request_id, navi_id]).update(
        approved_at=timezone.now() - timedelta(hours=1)
    )
    batch = run_batch(tomorrow_batch(make_b2_account(network.food_bank)).pk)
    parcels = list(Parcel.objects.filter(batch=batch).order_by("pk"))
    assert len(parcels) == 2
    assert BatchDocument.objects.filter(batch=batch).count() == 4
    world._cache[("batch", "own")] = batch
    world._cache[("parcel", "own")] = parcels[0]
    return world, batch, parcels, request_id, navi_id, recipient_id


def _volunteer_urls(world, batch, parcels) -> list[str]:
    urls = []
    for row in ALL_ROWS:
        expected = row.expected("volunteer", "own")
        if row.method != "GET" or not isinstance(expected, int) or not 200 <= expected < 300:
            continue
        if row.kwargs:
            kwargs = row.kwargs(world, "own")
        elif row.obj and "pk" in reverse_kwargs(row.route):
            kwargs = {"pk": world.obj(row.obj, "own").pk}
        else:
            kwargs = {}
        query = row.query(world, "own") if row.query else None
        url = reverse(row.route, kwargs=kwargs)
        urls.append(url + (f"?{_qs(query)}" if query else ""))
    station = reverse("shipping:station", args=[batch.pk])
    for parcel in parcels:
        urls += [
            f"/api/v1/parcels/{parcel.pk}/",
            f"/api/v1/parcels/?reference={parcel.reference}",
            f"{station}?parcel={parcel.pk}",
            f"{station}?ref={parcel.reference}",
        ]
    for kind in ("pick_list", "packing_slips", "labels"):
        if BatchDocument.objects.filter(batch=batch, kind=kind).exists():
            urls.append(f"/api/v1/dispatch-batches/{batch.pk}/documents/{kind}/")
    urls.append(f"/api/v1/dispatch-batches/{batch.pk}/")
    return urls


def reverse_kwargs(route: str) -> str:
    from .test_matrix import resolver_routes

    return resolver_routes()[route][0]


def _qs(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def test_volunteers_see_no_situation_debts_or_consent_details(marked, volunteer, client):
    world, batch, parcels, *_ = marked
    api = api_client_for(volunteer)
    client.force_login(volunteer)
    seen_packing_data = False
    leaks = []
    for url in _volunteer_urls(world, batch, parcels):
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = _text(response)
        leaks += [f"{marker} in {url}" for marker in MARKERS if marker in text]
        # The packing data is there (the walk did reach the parcels): name on the label, allergies.
        seen_packing_data |= "山田 花子" in text and "えび・かに" in text
    assert not leaks, leaks
    assert seen_packing_data


def test_the_coordinator_does_see_them_so_the_search_can_fail(marked, coordinator, client):
    _world, _batch, _parcels, request_id, navi_id, recipient_id = marked
    api = api_client_for(coordinator)
    client.force_login(coordinator)

    request = _text(api.get(f"/api/v1/delivery-requests/{request_id}/"))
    page = _text(client.get(reverse("referrals:request-detail", args=[request_id])))
    navi = _text(api.get(f"/api/v1/delivery-requests/{navi_id}/"))
    consents = _text(api.get(f"/api/v1/consents/?recipient={recipient_id}"))

    assert SITUATION in request
    assert SITUATION in page
    assert DEBTS in navi
    assert WITNESS in consents
    assert GUARDIAN in consents
    assert STATUTORY in consents
