"""Encryption at rest for the most sensitive fields (situation notes, health, debts, phone numbers).

AES-256-GCM from ``cryptography``, with its own key from the environment (``FIELD_ENCRYPTION_KEYS``:
comma-separated base64 keys, the first encrypts, all decrypt, so keys can be rotated). A database
dump holds only ``v1:<key id>:<nonce+ciphertext>``. Where exact lookup is needed (a phone number),
store ``blind_index(value)`` beside it: an HMAC with a separate key, so equal values can be found
without decrypting and without the value being guessable from the dump.
"""

import base64
import hashlib
import hmac
import json
import os
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations, models

PREFIX = "v1"


def _derive(label: bytes) -> bytes:
    # Local default only: derived from SECRET_KEY so a laptop works without configuration.
    # `check --deploy` warns when FIELD_ENCRYPTION_KEYS is not set (foodbank.W003).
    return hashlib.sha256(label + settings.SECRET_KEY.encode()).digest()


@cache
def _keys() -> tuple[tuple[str, bytes], ...]:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEYS", "") or ""
    keys = [base64.urlsafe_b64decode(k.strip() + "==") for k in raw.split(",") if k.strip()]
    if not keys:
        keys = [_derive(b"field-encryption:")]
    for key in keys:
        if len(key) != 32:
            raise ImproperlyConfigured("Each FIELD_ENCRYPTION_KEYS entry must be 32 bytes, base64-encoded.")
    return tuple((hashlib.sha256(key).hexdigest()[:8], key) for key in keys)


@cache
def _index_key() -> bytes:
    raw = getattr(settings, "BLIND_INDEX_KEY", "") or ""
    return base64.urlsafe_b64decode(raw + "==") if raw else _derive(b"blind-index:")


@cache
def _cipher(key: bytes) -> AESGCM:
    # One cipher object per key and process: building it (the key schedule) on every field read
    # or write is measurable on the API's hot paths (docs/benchmarks.md). AESGCM is stateless
    # between calls (each call gets its own nonce), so one object serves every thread.
    return AESGCM(key)


def encrypt(plaintext: str) -> str:
    key_id, key = _keys()[0]
    nonce = os.urandom(12)
    sealed = _cipher(key).encrypt(nonce, plaintext.encode(), key_id.encode())
    return f"{PREFIX}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, key_id, payload = token.split(":", 2)
    except ValueError:
        raise ValueError("Not an encrypted value.") from None
    if prefix != PREFIX:
        raise ValueError("Unknown encryption format.")
    for candidate_id, key in _keys():
        if candidate_id == key_id:
            blob = base64.urlsafe_b64decode(payload)
            return _cipher(key).decrypt(blob[:12], blob[12:], key_id.encode()).decode()
    raise ValueError(f"No key for this value (key id {key_id}).")


def blind_index(value: str) -> str:
    """A keyed hash for exact-match lookups of an encrypted value (normalise the value first)."""
    return hmac.new(_index_key(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. Only ``isnull`` and exact ``""`` checks make sense on it;
    search through a blind index instead. Empty strings are stored as empty strings."""

    description = "Text encrypted at rest (AES-GCM)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def to_python(self, value):
        return value


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (a list, a dict …) stored encrypted in a text column: for what a person's
    health says when it must be kept as structured data (allergen codes, a parcel's packing needs).
    The whole value is one ciphertext, so nothing inside it can be queried; ``None`` is stored as
    NULL. Values go through ``json``: a tuple comes back a list."""

    description = "JSON encrypted at rest (AES-GCM)"
    # For django-stubs' mypy plugin: the model's attribute is the JSON value, as a JSONField's is.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def to_python(self, value):
        # A fixture's or a form's text (value_to_string) back to the value; a value stays itself.
        return json.loads(value) if isinstance(value, str) else value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


def encrypt_json_column(app_label: str, model_name: str, field_name: str) -> "migrations.RunPython":
    """A migration's operation, after the ``AlterField`` that makes a ``JSONField`` an
    ``EncryptedJSONField``: encrypts the JSON each row holds (the column is text by then). Reversed,
    it decrypts, before the reversed ``AlterField`` makes the column JSON again. Rows go a thousand
    at a time, in id order."""

    def rewrite(apps, schema_editor, change) -> None:
        model = apps.get_model(app_label, model_name)
        qn = schema_editor.quote_name
        table, column = qn(model._meta.db_table), qn(model._meta.get_field(field_name).column)
        last = 0
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "postgresql":
                # A row updated twice in one transaction (two columns of a table) queues its deferred
                # foreign-key checks, and PostgreSQL refuses the next ALTER TABLE while they wait.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            while True:
                cursor.execute(
                    f"SELECT id, {column} FROM {table} WHERE id > %s AND {column} IS NOT NULL "  # noqa: S608
                    "ORDER BY id LIMIT 1000",
                    [last],
                )
                rows = cursor.fetchall()
                if not rows:
                    return
                cursor.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608 (names from _meta)
                    [(change(value), pk) for pk, value in rows],
                )
                last = rows[-1][0]

    field = EncryptedJSONField()

    def forwards(apps, schema_editor) -> None:
        rewrite(apps, schema_editor, lambda text: field.get_prep_value(json.loads(text)))

    def backwards(apps, schema_editor) -> None:
        rewrite(apps, schema_editor, decrypt)

    return migrations.RunPython(forwards, backwards, elidable=False)
