"""Integration tokens: issued once in plaintext, stored as a prefix and a SHA-256 hash, revocable.

A key looks like ``fbt_AbCdEfGh1234.<secret>``. The prefix (before the dot) is stored to find the
row; the hash of the whole key proves it. SHA-256 without a salt is enough here because the secret
is 256 random bits (there is nothing to guess), and it keeps each request to one indexed lookup.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ApiToken

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
    """The live token for ``key`` (not revoked, not expired, active user), or None."""
    parts = split_key(key)
    if parts is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[0]).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_tokens(*, tokens, revoked_by=None) -> int:
    """Revoke the given tokens (a queryset); already revoked ones keep their first revocation."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=revoked_by)
