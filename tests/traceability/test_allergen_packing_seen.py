"""The case worker sees what packing did about a household's allergies (docs/traceability.md,
allergen-aware packing): filed through the API with allergen codes, packed by the real dispatch
batch with an allergen-free alternative or a substitution, read back on the request's API answer and
its page by the case worker who filed it, and by nobody of another agency."""

import pytest
from django.urls import reverse

from referrals.models import DeliveryRequest
from shipping.models import Parcel
from shipping.services import void_parcel
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble
from .test_allergen_packing import _file_with_codes

pytestmark = pytest.mark.django_db

ALTERNATIVE = "アレルギー対応（えびを除く）：家庭向けパックの代わりに家庭向けパック（えび・かに不使用）"
SUBSTITUTION = "代替不可：家庭向けパックにえびを含む可能性（梱包時にえびを含む品を別の品に替えます）"


def _page(client, user, pk: int):
    client.force_login(user)
    return client.get(reverse("referrals:request-detail", args=[pk]))


def test_the_case_worker_sees_the_alternative_packed_for_an_allergic_household(
    api, client, network, catalogue, donated, ebi_free, coordinator, case_worker_a, case_worker_b, b2_account
):
    # Given every 家庭向けパック made with the えび rice, and the えび-free alternative in stock
    assemble(network, catalogue.home, 5, coordinator)
    assemble(network, ebi_free, 3, coordinator)
    # and a household whose case worker ticked えび, filed through the API, among others
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])
    approved_requests(1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)

    # When the dispatch batch is built (the real service: planning, chunks, documents)
    batch = run_batch(tomorrow_batch(b2_account).pk)
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert parcel.packing["alternatives"]  # the batch chose the alternative

    # Then the case worker who filed it reads it on the request, in Japanese
    seen = api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/")
    assert seen.status_code == 200, seen.content
    assert seen.json()["allergen_packing"] == [
        {
            "kind": "alternative",
            "pack": "家庭向けパック",
            "alternative": "家庭向けパック（えび・かに不使用）",
            "allergens": ["shrimp"],
            "text": ALTERNATIVE,
        }
    ]
    page = _page(client, case_worker_a, pk)
    assert page.status_code == 200
    html = page.content.decode()
    assert "アレルギー対応の梱包" in html
    assert ALTERNATIVE in html
    # a household without allergies in the same batch has nothing to be told
    other = Parcel.objects.filter(batch=batch).exclude(delivery_request_id=pk).get()
    assert DeliveryRequest.objects.get(pk=other.delivery_request_id).allergen_packing == []
    assert (
        api(case_worker_a)
        .get(f"/api/v1/delivery-requests/{other.delivery_request_id}/")
        .json()["allergen_packing"]
        == []
    )
    # and another agency's case worker sees neither the request nor what was packed (unchanged rules)
    assert api(case_worker_b).get(f"/api/v1/delivery-requests/{pk}/").status_code == 404
    refused = _page(client, case_worker_b, pk)
    assert refused.status_code == 404
    assert ALTERNATIVE not in refused.content.decode()


def test_the_case_worker_sees_the_substitution_when_no_alternative_is_in_stock(
    api, client, network, catalogue, donated, ebi_free, coordinator, case_worker_a, case_worker_b, b2_account
):
    # Given only 家庭向けパック made with the えび rice; the alternative has none in stock
    assemble(network, catalogue.home, 5, coordinator)
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])

    # When the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)
    assert Parcel.objects.get(batch=batch, delivery_request_id=pk).packing["substitutions"]

    # Then the case worker reads that packing could not avoid えび, and that the packer substitutes
    answer = api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/").json()
    assert [(n["kind"], n["pack"], n["allergens"], n["text"]) for n in answer["allergen_packing"]] == [
        ("substitution", "家庭向けパック", ["shrimp"], SUBSTITUTION)
    ]
    assert SUBSTITUTION in _page(client, case_worker_a, pk).content.decode()
    # the coordinators of the food bank see it too; another agency's case worker does not
    assert api(coordinator).get(f"/api/v1/delivery-requests/{pk}/").json()["allergen_packing"]
    assert api(case_worker_b).get(f"/api/v1/delivery-requests/{pk}/").status_code == 404


def test_correcting_away_the_allergy_clears_what_the_case_worker_is_told(
    api, network, catalogue, donated, ebi_free, coordinator, case_worker_a, b2_account
):
    # Given a batched household packed with the alternative
    assemble(network, catalogue.home, 5, coordinator)
    assemble(network, ebi_free, 3, coordinator)
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])
    run_batch(tomorrow_batch(b2_account).pk)
    assert api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/").json()["allergen_packing"]

    # When the coordinator corrects it: no allergy after all (the box is reserved again)
    response = api(coordinator).patch(
        f"/api/v1/delivery-requests/{pk}/", {"dietary": {"allergens": []}}, format="json"
    )

    # Then the request no longer tells of an alternative
    assert response.status_code == 200, response.content
    assert response.json()["allergen_packing"] == []


def test_voiding_the_parcel_clears_what_the_case_worker_is_told(
    api, network, catalogue, donated, ebi_free, coordinator, case_worker_a, b2_account
):
    # Given a batched household packed with the alternative
    assemble(network, catalogue.home, 5, coordinator)
    assemble(network, ebi_free, 3, coordinator)
    pk = _file_with_codes(api, case_worker_a, coordinator, ["shrimp"])
    batch = run_batch(tomorrow_batch(b2_account).pk)
    parcel = Parcel.objects.get(batch=batch, delivery_request_id=pk)
    assert api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/").json()["allergen_packing"]

    # When the coordinator voids the parcel before it is handed over (the request goes back to
    # approved, for the next batch)
    void_parcel(parcel_id=parcel.pk, by=coordinator, reason="rebook")

    # Then the case worker is no longer told of a box that does not exist
    seen = api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/").json()
    assert (seen["status"], seen["allergen_packing"]) == ("approved", [])
