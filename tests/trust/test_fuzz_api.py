"""Hostile values over every API operation (issue #21, item 5): integers beyond the database's
range in every integer path and query parameter, huge numbers and deep nesting in every body field.
Every answer is JSON below 500; an integer path parameter out of range is 400 ``out_of_range``.

The operations come from the OpenAPI schema, so endpoints added later are covered without touching
this file (as ``test_openapi.py`` does with schemathesis).
"""

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from foodbank import tokens
from referrals.models import DeliveryRequest
from tests.referrals.factories import file_request

pytestmark = pytest.mark.django_db

HUGE = 2**70  # beyond PostgreSQL's bigint (2**63 - 1)
DEEP = 5000  # beyond Python's recursion limit when parsed naively
BODY_METHODS = {"post", "put", "patch"}


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


OPERATIONS = sorted(_operations(), key=lambda o: (o[0], o[1]))


def _params(operation, where: str) -> list[dict]:
    return [p for p in operation.get("parameters", []) if p.get("in") == where]


def _url(path: str, operation, **override) -> str:
    values = {p["name"]: override.get(p["name"], 1) for p in _params(operation, "path")}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _is_integer(param: dict) -> bool:
    return param.get("schema", {}).get("type") == "integer"


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _body_properties(operation) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return []
    schema = content["application/json"].get("schema", {})
    ref = schema.get("$ref", "")
    return [ref.rsplit("/", 1)[-1]] if ref else []


@pytest.fixture
def clients(network, coordinator, case_worker_a, window_staff_a, volunteer, integration):
    out = {"anonymous": APIClient(raise_request_exception=False)}
    for user in (coordinator, case_worker_a, window_staff_a, volunteer, integration):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue_token(user=user, name='fuzz')[1]}")
        out[user.username] = client
    return out


def _check(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:300])
    if response.status_code != 204:
        assert response["Content-Type"].startswith("application/json"), (what, response["Content-Type"])
        json.loads(response.content)


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _o in OPERATIONS]
)
def test_hostile_values_are_refused_as_json(clients, path, method, operation):
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name, client in clients.items():
        send = getattr(client, method)
        # integer path parameters beyond the database's range: 400 out_of_range
        for param in _params(operation, "path"):
            if _is_integer(param):
                response = send(_url(path, operation, **{param["name"]: HUGE}))
                _check(response, f"{name} {method} {path} {param['name']}={HUGE}")
                if response.status_code not in (401, 403):
                    assert response.status_code == 400, (name, path, response.content[:200])
                    assert response.json()["code"] == "out_of_range"
        # every query parameter: a huge number, and a value that is not a number at all
        for param in _params(operation, "query"):
            for value in (str(HUGE), "-" + str(HUGE), "9" * 400, "[[[[", "1e309"):
                _check(
                    send(_url(path, operation), {param["name"]: value})
                    if method == "get"
                    else send(f"{_url(path, operation)}?{param['name']}={value}"),
                    f"{name} {method} {path} ?{param['name']}={value}",
                )
        if method not in BODY_METHODS:
            continue
        # bodies: deeply nested JSON, and each documented field set to a huge number or nesting
        url = _url(path, operation)
        _check(send(url, _deep(DEEP), content_type="application/json"), f"{name} {method} {path} deep")
        _check(
            send(url, '{"a": ' + _deep(DEEP) + "}", content_type="application/json"), f"{name} {path} deep"
        )
        for ref in _body_properties(operation):
            for field in components.get(ref, {}).get("properties", {}):
                for value in (HUGE, -HUGE, [[[[[[[[[[[[1]]]]]]]]]]]], {"a": {"b": {"c": HUGE}}}, "x" * 10000):
                    response = send(url, {field: value}, format="json")
                    _check(response, f"{name} {method} {path} {field}={str(value)[:20]}")


def _integer_properties_without_maximum() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found: list[str] = []

    def walk(node: dict, where: str, seen: frozenset) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], name, seen | {name})
            return
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key, []):
                walk(sub, where, seen)
        if node.get("type") == "integer" and node.get("maximum", 2**64) > 2**63 - 1:
            found.append(where)
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}[]", seen)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path}", frozenset())
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema", {}), f"{method} {path} {parameter['name']}", frozenset())
    return sorted(set(found))


def test_every_integer_the_api_takes_is_bounded_in_the_schema():
    # An unbounded IntegerField would pass 2**70 to a query (a 500); bounded, it is a field error
    assert _integer_properties_without_maximum() == []


def test_the_probes_reproductions_answer_400_json(api, client, network, coordinator, case_worker_a):
    coordinator_api = api(coordinator)
    coordinator_api.raise_request_exception = False
    request_id = file_request(case_worker_a, network.agency_a).pk
    big = 1318355989420087604783238650940882944

    # deeply nested JSON, anonymously, on the token endpoint
    anonymous = APIClient(raise_request_exception=False)
    deep = anonymous.post("/api/v1/auth/token/", _deep(DEEP), content_type="application/json")
    assert (deep.status_code, deep.json()["code"]) == (400, "parse_error")
    nested = anonymous.post(
        "/api/v1/auth/token/", '{"username": ' + _deep(40) + "}", content_type="application/json"
    )
    assert (nested.status_code, nested.json()["code"]) == (400, "parse_error")
    # a recipient above 2**63 on POST /api/v1/consents/ (otherwise valid)
    body = {"recipient": 2**64, "purpose": "phone_contact", "decision": "given", "method": "signed_form"}
    consent = coordinator_api.post("/api/v1/consents/", body, format="json")
    assert consent.status_code == 400
    assert "recipient" in consent.json()
    # the same with a real recipient and a huge delivery request
    body.update(recipient=DeliveryRequest.objects.get(pk=request_id).recipient_id, delivery_request=2**64)
    assert coordinator_api.post("/api/v1/consents/", body, format="json").status_code == 400
    # huge query and path parameters
    for url in (
        f"/api/v1/consents/?recipient={big}",
        f"/api/v1/delivery-requests/{big}/",
        f"/api/v1/parcels/?batch={big}",
        f"/api/v1/delivery-requests/?page={big}",
    ):
        response = coordinator_api.get(url)
        assert (response.status_code, response.json()["code"]) == (400, "out_of_range"), url
    # the audit page (not the API): a plain 400, not a 500
    client.force_login(coordinator)
    assert client.get(f"/audit/?subject={big}").status_code == 400


def test_an_unknown_api_path_is_json_404(api, coordinator):
    response = api(coordinator).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls("tests.trust.urls")
def test_an_unforeseen_error_is_a_json_500_without_the_traceback(api, coordinator, caplog):
    client = api(coordinator)
    client.raise_request_exception = False

    response = client.get("/api/test/broken/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    assert "ZeroDivisionError" not in response.content.decode()
    assert "ZeroDivisionError" in caplog.text
    # Said in the default language, like every other refusal
    assert response.json()["detail"] == "予期しないエラーが発生しました。記録されています。"
