"""A client generated from the OpenAPI document works, tried as an agency's developer would.

The schema is written by ``manage.py spectacular``, a client is generated from it with the pinned
openapi-python-client, imported, and driven against the live server: a token, a request filed with
extras, read back, listed, and the changes feed read. A schema that breaks generated clients (every
body offered as JSON, form and multipart, say) fails here, so it fails CI (docs/api-clients.md).
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.helpers import wait_for
from tests.referrals.factories import body, tomorrow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PACKAGE = "foodbank_api_client"


def _binary_overrides(schema: dict) -> dict:
    """The generator cannot describe file downloads (Excel, PDF, CSV answers); read as bytes they
    are fine for clients, so their content types are mapped to application/octet-stream."""
    kinds = {
        kind
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for kind in response.get("content", {})
        if kind != "application/json"
    }
    return {"content_type_overrides": dict.fromkeys(sorted(kinds), "application/octet-stream")}


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """Generate the client package once per module; return its imported top-level module."""
    root = tmp_path_factory.mktemp("generated")
    schema, config = root / "schema.json", root / "config.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config.write_text(json.dumps(_binary_overrides(json.loads(schema.read_text()))))
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(  # noqa: S603 (our own pinned tool, fixed arguments)
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        # Its post-hooks run ruff, which is in this virtual environment.
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # A warning means an operation or model was left out of the client.
    assert "Warning" not in output, output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_every_operation_takes_json_and_only_the_upload_takes_multipart(generated_client):
    # given the document the client was generated from
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)

    # then every request body is JSON, except the operations that upload a file (the carrier's
    # issued data and its delivery status)
    kinds = {
        (path, method): sorted(operation["requestBody"]["content"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    uploads = {key: value for key, value in kinds.items() if value != ["application/json"]}
    assert uploads == {
        ("/api/v1/dispatch-batches/{id}/tracking-import/", "post"): ["multipart/form-data"],
        ("/api/v1/dispatch-batches/{id}/delivery-status/", "post"): ["multipart/form-data"],
    }


def test_a_generated_client_files_a_request_reads_it_back_and_follows_its_changes(
    generated_client, live_server, network, case_worker_a
):
    client_module = generated_client
    auth = importlib.import_module(f"{PACKAGE}.api.auth.v1_auth_token_create")
    create = importlib.import_module(f"{PACKAGE}.api.delivery_requests.v1_delivery_requests_create")
    retrieve = importlib.import_module(f"{PACKAGE}.api.delivery_requests.v1_delivery_requests_retrieve")
    listing = importlib.import_module(f"{PACKAGE}.api.delivery_requests.v1_delivery_requests_list")
    feed = importlib.import_module(f"{PACKAGE}.api.delivery_requests.v1_delivery_requests_changes")
    models = importlib.import_module(f"{PACKAGE}.models")

    # given a token, asked for with the case worker's password
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    token = auth.sync(
        client=anonymous,
        body=models.TokenRequestRequest.from_dict({"username": "caseworker_a", "password": "pw-for-tests"}),
    )
    client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )

    # when the agency's system files a request with two extra items
    data = body(delivery_date=tomorrow(), client_reference="CASE-2026-0042")
    created = create.sync_detailed(
        client=client, body=models.DeliveryRequestInRequest.from_dict(data), idempotency_key="gen-client-1"
    )

    # then it is created, and reading it back gives the extras as filed
    assert created.status_code == 201, created.content
    request_id = created.parsed.id
    detail = retrieve.sync(client=client, id=request_id)
    assert detail.status.value == "submitted"
    assert detail.client_reference == "CASE-2026-0042"
    assert [(e.item.value, e.quantity) for e in detail.extras] == [("diapers", 1), ("formula", 1)]
    assert detail.extras[0].size == "M"
    # and the agency's list holds it
    page = listing.sync(client=client)
    assert [r.id for r in page.results] == [request_id]
    # and the changes feed tells of its submission, with a cursor to continue from
    changes = wait_for(lambda: (p := feed.sync(client=client)).results and p, message="the submission")
    assert [(c.type_.value, c.data.request_id) for c in changes.results] == [
        ("delivery_request.submitted", request_id)
    ]
    assert feed.sync(client=client, since=changes.next_cursor).results == []
