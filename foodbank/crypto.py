"""Encryption at rest for the most sensitive fields (situation notes, health, debts, phone numbers).

AES-256-GCM from ``cryptography``, with its own key from the environment (``FIELD_ENCRYPTION_KEYS``:
comma-separated base64 keys, the first encrypts, all decrypt, so keys can be rotated). A database
dump holds only ``v1:<key id>:<nonce+ciphertext>``. Where exact lookup is needed (a phone number),
store ``blind_index(value)`` beside it: an HMAC with a separate key, so equal values can be found
without decrypting and without the value being guessable from the dump.
"""

import base64
import functools
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
    health says when it must be kept as structured data (allergen codes, a parcel's packing needs;
    docs/privacy.md). The whole value is one ciphertext, so nothing inside it can be queried;
    ``None`` is stored as NULL. Values go through ``json``: a tuple comes back a list."""

    description = "JSON encrypted at rest (AES-GCM)"
    # For django-stubs' mypy plugin: the model's attribute is the JSON value, as a JSONField's is.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return _json_of(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        # Padded with spaces, which JSON ignores: the allergens' codes are few, and the length of a
        # ciphertext would otherwise tell which one a one-code list holds.
        return encrypt(text + " " * (-len(text.encode()) % JSON_BLOCK))

    def to_python(self, value):
        # A fixture's or a form's text (value_to_string) back to the value; a value stays itself.
        return json.loads(value) if isinstance(value, str) else value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


# Plaintext of an EncryptedJSONField is padded to a multiple of this many bytes.
JSON_BLOCK = 64


def _json_of(stored: str) -> Any:
    """An EncryptedJSONField's value from its column. JSON in clear (never ``v1:…``) is read too: a
    process of the previous version may write a row while the migration that encrypts the column
    runs, and ``encrypt_json_columns`` encrypts such rows when run again."""
    return json.loads(decrypt(stored) if stored.startswith(f"{PREFIX}:") else stored)


def encrypting(app_label: str, model_name: str, fields: tuple[str, ...]) -> migrations.RunPython:
    """The migration operation that encrypts these columns (``encrypt_json_columns``) and, taken
    back, decrypts them (``decrypt_json_columns``). Put it in a migration of its own, after the one
    whose ``AlterField`` makes them ``EncryptedJSONField`` s: an ``UPDATE`` of rows that an
    ``ALTER TABLE`` rewrote in the same transaction queues their deferred foreign-key checks, and
    PostgreSQL then refuses the next ``ALTER TABLE``."""
    columns = (app_label, model_name, fields)
    return migrations.RunPython(
        functools.partial(encrypt_json_columns, *columns),
        functools.partial(decrypt_json_columns, *columns),
        elidable=False,
    )


def encrypt_json_columns(
    app_label: str, model_name: str, fields: tuple[str, ...], apps, schema_editor
) -> None:
    """Encrypt the JSON that rows hold in clear in these columns, a thousand rows at a time (a
    migration's ``RunPython``: ``encrypting``). Rows already encrypted are left as they are,
    so it may run again."""
    field = EncryptedJSONField()

    def encrypted(stored: str) -> str:
        return stored if stored.startswith(f"{PREFIX}:") else field.get_prep_value(json.loads(stored))

    _rewrite(apps, schema_editor, app_label, model_name, fields, encrypted)


def decrypt_json_columns(
    app_label: str, model_name: str, fields: tuple[str, ...], apps, schema_editor
) -> None:
    """``encrypt_json_columns`` reversed: the JSON in clear, before the reversed ``AlterField``
    makes the columns JSON again."""
    _rewrite(
        apps,
        schema_editor,
        app_label,
        model_name,
        fields,
        lambda text: json.dumps(_json_of(text), ensure_ascii=False),
    )


def _rewrite(apps, schema_editor, app_label: str, model_name: str, fields: tuple[str, ...], change) -> None:
    model = apps.get_model(app_label, model_name)
    qn = schema_editor.quote_name
    table = qn(model._meta.db_table)
    columns = [qn(model._meta.get_field(name).column) for name in fields]
    listed, assigned = ", ".join(columns), ", ".join(f"{column} = %s" for column in columns)
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {listed} FROM {table} WHERE id > %s ORDER BY id LIMIT 1000",  # noqa: S608
                [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(
                f"UPDATE {table} SET {assigned} WHERE id = %s",  # noqa: S608 (names from _meta)
                [(*(None if v is None else change(v) for v in values), pk) for pk, *values in rows],
            )
            last = rows[-1][0]
