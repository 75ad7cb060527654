"""The OpenAPI schema documents the constraints the API really applies (docs/trust.md, item 5).

Schemathesis found operations whose validation was stricter than their schema: a client built from
the schema sent what the schema allowed and got 400. Each test here reads one constraint from the
generated schema and sends the API a value on each side of it, so the two cannot drift apart.
"""

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from foodbank.idempotency import HEADER

from ..helpers import api_client_for


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, name):
    return schema["components"]["schemas"][name]


def _parameter(schema, path, method, name):
    (found,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]


def test_every_post_that_honours_the_idempotency_key_documents_it_with_its_rules(schema):
    marked, documented = [], []
    for path, item in schema["paths"].items():
        if "post" not in item:
            continue
        view = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
        if getattr(view.cls.post, "honours_idempotency_key", False):
            marked.append(path)
            headers = [p for p in item["post"].get("parameters", []) if p["name"] == HEADER]
            if headers and headers[0]["schema"].get("maxLength") == 255 and "pattern" in headers[0]["schema"]:
                documented.append(path)

    assert len(marked) > 15
    assert documented == marked


@pytest.mark.django_db
def test_a_key_outside_the_documented_pattern_is_refused_and_one_inside_is_accepted(
    schema, network, coordinator
):
    rule = _parameter(schema, "/api/v1/donors/", "post", HEADER)
    pattern = re.compile(rule["pattern"])
    api = api_client_for(coordinator)
    body = {"kind": "company", "name": "北菓子"}

    for bad in ("   ", "x" * (rule["maxLength"] + 1)):
        assert not (pattern.fullmatch(bad) and len(bad) <= rule["maxLength"])
        refused = api.post("/api/v1/donors/", body, format="json", headers={HEADER: bad})
        assert refused.status_code == 400, bad
        assert HEADER in refused.json()

    good = "order-2026-12-06 #1"
    assert pattern.fullmatch(good)
    first = api.post("/api/v1/donors/", body, format="json", headers={HEADER: good})
    again = api.post("/api/v1/donors/", body, format="json", headers={HEADER: good})
    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_a_list_that_may_not_be_empty_says_so_and_an_empty_one_is_refused(schema, network, window_staff_a):
    assert _component(schema, "HandoutInRequest")["properties"]["lines"]["minItems"] == 1

    refused = api_client_for(window_staff_a).post(
        "/api/v1/handouts/", {"site": network.window_a.pk, "lines": []}, format="json"
    )

    assert refused.status_code == 400
    assert "lines" in refused.json()


@pytest.mark.django_db
def test_a_decimal_sent_as_text_documents_a_digit_and_no_sign_when_negatives_are_refused(
    schema, network, coordinator
):
    pattern = re.compile(_component(schema, "ItemInRequest")["properties"]["weight_kg"]["pattern"])
    api = api_client_for(coordinator)

    for bad in ("", "-", "-1", "1.2345"):
        assert not pattern.fullmatch(bad)
        refused = api.post(
            "/api/v1/items/", {"code": "rice-5kg", "name": "米 5kg", "weight_kg": bad}, format="json"
        )
        assert refused.status_code == 400, bad
    assert pattern.fullmatch("5.25")
    accepted = api.post(
        "/api/v1/items/", {"code": "rice-5kg", "name": "米 5kg", "weight_kg": "5.25"}, format="json"
    )
    assert accepted.status_code in (200, 201)
    assert accepted.json()["weight_kg"] == "5.250"


@pytest.mark.django_db
def test_id_filters_in_the_query_document_positive_ids_and_refuse_others(schema, network, coordinator):
    rule = _parameter(schema, "/api/v1/consents/", "get", "recipient")
    assert rule["minimum"] == 1

    refused = api_client_for(coordinator).get("/api/v1/consents/", {"recipient": "-5"})

    assert refused.status_code == 400


def test_free_text_in_a_request_documents_that_nul_is_refused(schema):
    note = _component(schema, "HandoutInRequest")["properties"]["note"]
    patterns = [branch.get("pattern") for branch in note.get("oneOf", [note])]
    nul_free = re.compile(next(p for p in patterns if p))

    assert nul_free.fullmatch("お米を多めに")
    assert not nul_free.fullmatch("a\x00b")
