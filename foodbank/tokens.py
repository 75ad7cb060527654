"""Integration tokens: issued once in plaintext, stored as a prefix and a SHA-256 hash, revocable.

A key looks like ``fbt_AbCdEfGh1234.<secret>``. The prefix (before the dot) is stored to find the
row; the hash of the whole key proves it. SHA-256 without a salt is enough here because the secret
is 256 random bits (there is nothing to guess), and it keeps each request to one indexed lookup.
"""

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from .models import ApiToken, Membership, Organisation, Site
from .selectors import remember_memberships

PREFIX_TAG = "fbt_"
# last_used_at is written at most once per this interval, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    prefix, dot, secret = key.partition(".")
    if not dot or not prefix.startswith(PREFIX_TAG) or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def _new_key() -> tuple[str, str]:
    prefix = PREFIX_TAG + secrets.token_urlsafe(9)[:12]
    return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"


@transaction.atomic
def issue_token(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plaintext key (shown once, never stored)."""
    prefix, key = _new_key()
    while ApiToken.objects.filter(prefix=prefix).exists():  # 72 random bits: practically never
        prefix, key = _new_key()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=hash_key(key), expires_at=expires_at
    )
    return token, key


def issue_login_token(*, user) -> tuple[ApiToken, str]:
    """The token answered by ``POST /api/v1/auth/token/``: expires after API_TOKEN_TTL_DAYS."""
    days = settings.API_TOKEN_TTL_DAYS
    expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
    return issue_token(user=user, name="API login", expires_at=expires_at)


def derived_key(*, seed: str, username: str) -> str:
    """A key that is the same on every run for ``seed`` and ``username`` (demo data only)."""
    digest = hmac.new(seed.encode(), f"demo-token:{username}".encode(), hashlib.sha256).digest()
    return f"{PREFIX_TAG}{digest.hex()[:12]}.{hashlib.sha256(digest).hexdigest()}"


@transaction.atomic
def ensure_token(*, user, name: str, key: str) -> tuple[ApiToken, bool]:
    """Store ``key`` for ``user`` unless its prefix exists already; returns (token, created)."""
    prefix, _secret = split_key(key)
    token, created = ApiToken.objects.get_or_create(
        prefix=prefix, defaults={"user": user, "name": name, "key_hash": hash_key(key)}
    )
    return token, created


def authenticate_key(key: str) -> ApiToken | None:
    """The live token for ``key`` (not revoked, not expired, active user), or None.

    One query reads the token, its user and the user's memberships (``_token_with_memberships``),
    so a request authenticated by token needs no second query for its scope. Nothing is cached
    between requests: a revocation, a deactivation or a change of role applies to the next request.
    """
    parts = split_key(key)
    if parts is None:
        return None
    found = _token_with_memberships(parts[0])
    if found is None:
        return None
    token, memberships = found
    if not hmac.compare_digest(token.key_hash, hash_key(key)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    remember_memberships(token.user, memberships)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class _Part:
    """One model's columns in the token query, with the converters the ORM would apply to each (the
    backend's, e.g. SQLite's for dates and booleans, then the field's own), worked out once."""

    def __init__(self, alias: str, model) -> None:
        self.alias, self.model = alias, model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.columns = [field.get_col(model._meta.db_table) for field in self.fields]
        self.converters = [
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            for column in self.columns
        ]
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)

    def instance(self, values) -> Any:
        converted = list(values)
        for i, converters in enumerate(self.converters):
            for converter in converters:
                converted[i] = converter(converted[i], self.columns[i], connection)
        return self.model.from_db(connection.alias, self.attnames, converted)


@functools.cache
def _token_query() -> tuple[str, list[_Part]]:
    user_model = get_user_model()
    parts = [_Part("t", ApiToken), _Part("u", user_model), _Part("m", Membership)]
    parts += [_Part("o", Organisation), _Part("s", Site)]
    # Table and column names come from the models, never from the request; the prefix is a parameter.
    sql = (
        f"SELECT {', '.join(part.sql for part in parts)} "  # noqa: S608
        f'FROM "{ApiToken._meta.db_table}" t '
        f'JOIN "{user_model._meta.db_table}" u ON u."id" = t."user_id" '
        f'LEFT JOIN ("{Membership._meta.db_table}" m '
        f'JOIN "{Organisation._meta.db_table}" o ON o."id" = m."organisation_id" AND o."active" '
        f'LEFT JOIN "{Site._meta.db_table}" s ON s."id" = m."site_id") '
        f'ON m."user_id" = u."id" AND m."active" '
        f'WHERE t."prefix" = %s ORDER BY m."role", m."id"'
    )
    return sql, parts


def _token_with_memberships(prefix: str) -> tuple[ApiToken, list[Membership]] | None:
    """The token with this prefix, its user, and the user's memberships as ``memberships_for`` reads
    them (active, of an active organisation, with organisation and site, by role and pk), in one
    statement: one row per membership, or one row with NULL memberships for a user without any."""
    sql, parts = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        rows = cursor.fetchall()
    if not rows:
        return None
    token: ApiToken | None = None
    user = None
    memberships: list[Membership] = []
    for row in rows:
        instances: dict[str, Any] = {}
        start = 0
        for part in parts:
            own = row[start : start + len(part.fields)]
            start += len(part.fields)
            if token is not None and part.alias in ("t", "u"):
                continue  # the same token and user on every row
            instances[part.alias] = None if own[0] is None else part.instance(own)
        if token is None:
            token, user = instances["t"], instances["u"]
            token.user = user
        membership = instances["m"]
        if membership is not None:
            membership.organisation = instances["o"]
            membership.site = instances["s"]
            membership.user = user
            memberships.append(membership)
    return (token, memberships) if token is not None else None  # token is set: rows is not empty


def revoke_tokens(*, tokens, revoked_by=None) -> int:
    """Revoke the given tokens (a queryset); already revoked ones keep their first revocation."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=revoked_by)
