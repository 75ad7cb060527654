"""Health data stays encrypted at rest along its way (docs/privacy.md): the allergies, allergen codes
and dietary needs a case worker files are ciphertext in every column that holds them (the request,
what packing did about them, the parcel's packing needs), and each person who needs them reads them
as written: the case worker on the request, the volunteer at the packing station. Migrations
``referrals 0013``–``0014`` and ``shipping 0008``–``0009`` encrypt what was stored in clear before them."""

import json

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from foodbank.crypto import encrypt_json_columns
from referrals.models import DeliveryRequest
from shipping.models import Parcel
from tests.referrals.factories import body
from tests.shipping.integration import approved_requests, run_batch, tomorrow_batch

from .helpers import assemble

ALLERGIES = "そば（重度、アナフィラキシーの既往あり）"
NOTE = "透析中のため塩分控えめ"
# Nothing of these may be in a column in clear: the codes, their names, the free texts.
IN_CLEAR = ('"shrimp"', '"buckwheat"', "えび", "そば", "アナフィラキシー", "透析", "塩分")
BEFORE_ENCRYPTION = [
    ("referrals", "0012_recipient_and_consent_indexes"),
    ("shipping", "0007_condition_checked"),
]
TEXT_NOT_YET_ENCRYPTED = [("referrals", "0013_encrypted_allergens"), ("shipping", "0008_encrypted_packing")]


def _file_and_pack(
    api, network, catalogue, ebi_free, coordinator, case_worker, b2_account
) -> tuple[int, int]:
    """A household allergic to えび and そば, filed through the API, approved, and batched with the
    えび-free alternative in stock; returns (request id, parcel id)."""
    assemble(network, catalogue.home, 5, coordinator)
    assemble(network, ebi_free, 3, coordinator)
    data = body(
        household={"type": "single", "adults": 1, "children": 0, "infants": 0},
        extras=[],
        dietary={"allergies": ALLERGIES, "allergens": ["shrimp"], "note": NOTE},
    )
    created = api(case_worker).post("/api/v1/delivery-requests/", data, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        api(coordinator).post(f"/api/v1/delivery-requests/{pk}/approve/", {}, format="json").status_code
        == 200
    )
    approved_requests(1, case_worker=case_worker, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(b2_account).pk)
    return pk, Parcel.objects.get(batch=batch, delivery_request_id=pk).pk


def _stored(request_pk: int, parcel_pk: int) -> dict[str, object]:
    """The columns as the database holds them, read past the models."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT allergens, allergen_packing, allergies, dietary_note FROM referrals_deliveryrequest "
            "WHERE id = %s",
            [request_pk],
        )
        allergens, allergen_packing, allergies, dietary_note = cursor.fetchone()
        cursor.execute("SELECT packing FROM shipping_parcel WHERE id = %s", [parcel_pk])
        (packing,) = cursor.fetchone()
    return {
        "allergens": allergens,
        "allergen_packing": allergen_packing,
        "allergies": allergies,
        "dietary_note": dietary_note,
        "packing": packing,
    }


def _assert_ciphertext(stored: dict[str, object]) -> None:
    for column, value in stored.items():
        assert isinstance(value, str), (column, value)
        assert value.startswith("v1:"), (column, value)
        assert not any(word in value for word in IN_CLEAR), column


@pytest.mark.django_db
def test_allergies_are_ciphertext_in_every_column_and_read_as_written_by_those_who_need_them(
    api, network, catalogue, donated, ebi_free, coordinator, volunteer, case_worker_a, b2_account
):
    # Given a household allergic to えび and そば, filed, approved and packed by the dispatch batch
    pk, parcel_pk = _file_and_pack(api, network, catalogue, ebi_free, coordinator, case_worker_a, b2_account)

    # Then no column holds its allergies, codes or dietary needs in clear
    _assert_ciphertext(_stored(pk, parcel_pk))

    # and the case worker reads them on the request as filed, with what packing did about えび
    seen = api(case_worker_a).get(f"/api/v1/delivery-requests/{pk}/").json()
    assert seen["dietary"]["allergies"] == ALLERGIES
    assert seen["dietary"]["allergens"] == ["shrimp", "buckwheat"]  # ticked, and named in the text
    packed = [(n["kind"], n["allergens"]) for n in seen["allergen_packing"]]
    assert packed == [("alternative", ["buckwheat", "shrimp"])]
    # and the volunteer packing the parcel reads the allergies and the dietary note
    parcel = api(volunteer).get(f"/api/v1/parcels/{parcel_pk}/")
    assert parcel.status_code == 200, parcel.content
    assert parcel.json()["allergies"] == ALLERGIES
    assert NOTE in parcel.json()["notes"]


@pytest.fixture
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_schema")
def test_the_migrations_encrypt_what_was_in_clear_and_decrypt_it_going_back(
    api, network, catalogue, donated, ebi_free, coordinator, case_worker_a, b2_account
):
    # Given a packed household's allergies
    pk, parcel_pk = _file_and_pack(api, network, catalogue, ebi_free, coordinator, case_worker_a, b2_account)
    request = DeliveryRequest.objects.get(pk=pk)
    values = {
        "allergens": request.allergens,
        "allergen_packing": request.allergen_packing,
        "packing": Parcel.objects.get(pk=parcel_pk).packing,
    }
    assert values["allergen_packing"]
    assert values["packing"]["allergies"] == ALLERGIES

    def read() -> dict[str, object]:
        request = DeliveryRequest.objects.get(pk=pk)
        packing = Parcel.objects.get(pk=parcel_pk).packing
        return {
            "allergens": request.allergens,
            "allergen_packing": request.allergen_packing,
            "packing": packing,
        }

    # When the encrypting migrations are taken back, the three columns are JSON again, in clear
    _migrate(BEFORE_ENCRYPTION)
    stored = _stored(pk, parcel_pk)
    assert {name: _json(stored[name]) for name in values} == values

    # When only the columns' change of type has run (a deploy under way), the models read the JSON
    _migrate(TEXT_NOT_YET_ENCRYPTED)
    assert not _stored(pk, parcel_pk)["packing"].startswith("v1:")
    assert read() == values

    # When the migrations have run, every value is ciphertext, and the models read the same values
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    _assert_ciphertext(_stored(pk, parcel_pk))
    assert read() == values

    # A row a process of the previous version writes in clear meanwhile is read, and encrypted when
    # the encryption runs again
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE shipping_parcel SET packing = %s WHERE id = %s",
            [json.dumps(values["packing"]), parcel_pk],
        )
    assert read() == values
    with connection.schema_editor() as editor:
        encrypt_json_columns("shipping", "parcel", ("packing",), django_apps, editor)
    _assert_ciphertext(_stored(pk, parcel_pk))
    assert read() == values
