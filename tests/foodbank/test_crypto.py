import base64

import pytest
from django.db import connection

from foodbank import crypto


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
    # A throwaway table with an encrypted column, created for this test only.
    from django.db import models

    class Note(models.Model):  # noqa: DJ008
        body = crypto.EncryptedTextField(blank=True)

        class Meta:
            app_label = "foodbank"
            db_table = "test_crypto_note"

    with connection.schema_editor() as editor:
        editor.create_model(Note)
    try:
        note = Note.objects.create(body="年金支給日まで食料がない")
        with connection.cursor() as cursor:
            cursor.execute("SELECT body FROM test_crypto_note WHERE id = %s", [note.pk])
            stored = cursor.fetchone()[0]

        assert stored.startswith("v1:")
        assert "年金" not in stored
        assert Note.objects.get(pk=note.pk).body == "年金支給日まで食料がない"
        assert Note.objects.create(body="").body == ""
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Note)
