import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps as django_apps
from django.db import connection, models

from foodbank import crypto


@contextmanager
def _throwaway_table(**fields: models.Field) -> Iterator[type[models.Model]]:
    """A model with these encrypted columns, its table created for one test only (and the model
    forgotten after it: tests that walk every model must not meet it)."""
    table = f"test_crypto_{'_'.join(fields)}"
    model = type(
        table,
        (models.Model,),
        {
            **fields,
            "__module__": __name__,
            "Meta": type("Meta", (), {"app_label": "foodbank", "db_table": table}),
        },
    )
    with connection.schema_editor() as editor:
        editor.create_model(model)
    try:
        yield model
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(model)
        del django_apps.all_models["foodbank"][model._meta.model_name]
        django_apps.clear_cache()


def test_round_trip_and_fresh_nonce():
    first, second = crypto.encrypt("生活保護申請中"), crypto.encrypt("生活保護申請中")

    assert first != second
    assert "生活保護" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "生活保護申請中"


def test_tampered_value_is_refused():
    token = crypto.encrypt("debt 300万円")
    prefix, key_id, payload = token.split(":", 2)
    blob = bytearray(base64.urlsafe_b64decode(payload))
    blob[-1] ^= 1

    with pytest.raises(Exception):  # noqa: B017,PT011  (cryptography's InvalidTag)
        crypto.decrypt(f"{prefix}:{key_id}:{base64.urlsafe_b64encode(bytes(blob)).decode()}")


def test_rotated_keys_still_decrypt_old_values(settings):
    old_key = base64.urlsafe_b64encode(b"o" * 32).decode()
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    settings.FIELD_ENCRYPTION_KEYS = old_key
    crypto._keys.cache_clear()
    token = crypto.encrypt("090-1234-5678")

    settings.FIELD_ENCRYPTION_KEYS = f"{new_key},{old_key}"
    crypto._keys.cache_clear()
    try:
        assert crypto.decrypt(token) == "090-1234-5678"
        assert crypto.encrypt("x").split(":")[1] != token.split(":")[1]
    finally:
        crypto._keys.cache_clear()


def test_blind_index_is_stable_and_keyed():
    assert crypto.blind_index("+819012345678") == crypto.blind_index("+819012345678")
    assert crypto.blind_index("+819012345678") != crypto.blind_index("+819012345679")
    assert "9012345678" not in crypto.blind_index("+819012345678")


@pytest.mark.django_db(transaction=True)
def test_encrypted_field_is_not_in_clear_text_in_the_database():
    with _throwaway_table(body=crypto.EncryptedTextField(blank=True)) as Note:
        note = Note.objects.create(body="年金支給日まで食料がない")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT body FROM {Note._meta.db_table} WHERE id = %s", [note.pk])  # noqa: S608
            stored = cursor.fetchone()[0]

        assert stored.startswith("v1:")
        assert "年金" not in stored
        assert Note.objects.get(pk=note.pk).body == "年金支給日まで食料がない"
        assert Note.objects.create(body="").body == ""


@pytest.mark.django_db(transaction=True)
def test_encrypted_json_field_keeps_the_value_and_stores_only_ciphertext():
    with _throwaway_table(
        codes=crypto.EncryptedJSONField(default=list, blank=True),
        packing=crypto.EncryptedJSONField(null=True, blank=True),
    ) as Needs:
        value = {"allergies": "卵（加熱も不可）", "allergens": ["egg"], "no_cook": True, "boxes": 2}
        needs = Needs.objects.create(codes=("egg", "milk"), packing=value)
        empty = Needs.objects.create()
        with connection.cursor() as cursor:
            select = f"SELECT codes, packing FROM {Needs._meta.db_table} WHERE id = %s"  # noqa: S608
            cursor.execute(select, [needs.pk])
            stored = cursor.fetchone()
            cursor.execute(select, [empty.pk])
            stored_empty = cursor.fetchone()

        # Ciphertext only, an empty list too (its length is not the household's), NULL for None
        assert all(column.startswith("v1:") for column in stored)
        assert not any(word in column for column in stored for word in ('"egg"', '"milk"', "卵", "加熱"))
        # padded: one code or another, the same length
        one_code = [crypto.EncryptedJSONField().get_prep_value([code]) for code in ("egg", "mackerel")]
        assert len(one_code[0]) == len(one_code[1])
        assert stored_empty[0].startswith("v1:")
        assert stored_empty[1] is None
        # The same values back, through the model and through values(); a tuple comes back a list
        assert (Needs.objects.get(pk=needs.pk).codes, Needs.objects.get(pk=needs.pk).packing) == (
            ["egg", "milk"],
            value,
        )
        assert list(Needs.objects.filter(pk=empty.pk).values_list("codes", "packing")) == [([], None)]
        # A fixture's text (dumpdata / loaddata) is the JSON, in clear only there
        field = Needs._meta.get_field("packing")
        assert field.to_python(field.value_to_string(needs)) == value


class _OnlyModel:
    """What a migration's ``apps`` gives ``encrypt_json_columns``: the model it names."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    def get_model(self, app_label: str, model_name: str) -> type[models.Model]:
        assert (app_label, model_name) == ("foodbank", self.model.__name__)
        return self.model


@pytest.mark.django_db(transaction=True)
def test_encrypting_a_column_pages_through_every_row_and_back():
    # More rows than one page of the encryption (a thousand), one of them NULL, one encrypted already.
    with _throwaway_table(paged=crypto.EncryptedJSONField(null=True, blank=True)) as Paged:
        table = Paged._meta.db_table
        rows = [[f"code-{i}"] for i in range(2_345)]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (paged) VALUES (%s)",  # noqa: S608
                [(json.dumps(row),) for row in rows],
            )
            cursor.execute(f"INSERT INTO {table} (paged) VALUES (NULL)")  # noqa: S608
        Paged.objects.create(paged=["ciphertext-already"])
        args = ("foodbank", Paged.__name__, ("paged",), _OnlyModel(Paged))

        def stored() -> list:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT paged FROM {table} ORDER BY id")  # noqa: S608
                return [value for (value,) in cursor.fetchall()]

        before = stored()
        with connection.schema_editor() as editor:
            crypto.encrypt_json_columns(*args, editor)
        encrypted = stored()
        assert all(value.startswith("v1:") for value in encrypted[: len(rows)])  # the last page too
        assert encrypted[len(rows)] is None
        assert encrypted[-1] == before[-1]  # left as it was
        assert [p.paged for p in Paged.objects.order_by("pk")] == [*rows, None, ["ciphertext-already"]]

        with connection.schema_editor() as editor:
            crypto.decrypt_json_columns(*args, editor)
        decrypted = stored()
        assert [json.loads(value) for value in decrypted[: len(rows)]] == rows
        assert decrypted[len(rows)] is None
        assert json.loads(decrypted[-1]) == ["ciphertext-already"]
