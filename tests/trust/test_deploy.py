"""Deployment security: `check --deploy` is clean with production settings, cookies and headers are
safe, and every form carries a CSRF token."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ["foodbank", "inventory", "referrals", "shipping", "reports"]


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _production_env(tmp_path, **overrides) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "DJANGO_SETTINGS_MODULE": "foodbank.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "DATABASE_URL": "postgres://foodbank:secret@db.internal:5432/foodbank",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "FIELD_ENCRYPTION_KEYS": _key(),
        "BLIND_INDEX_KEY": _key(),
        "ALLOWED_HOSTS": "foodbank.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://foodbank.example.org",
        "SECURE_HTTPS": "1",
        "VAR_DIR": str(tmp_path),
    }
    env.update(overrides)
    return env


def _check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # Given the environment of a production deployment (nothing is contacted by the checks)
    env = _production_env(tmp_path)

    # When Django's deployment checks run
    result = _check_deploy(env)

    # Then there is not even a warning
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_deployment_without_https(tmp_path):
    env = _production_env(tmp_path, SECURE_HTTPS="0")

    result = _check_deploy(env)

    assert result.returncode != 0
    found = set(re.findall(r"security\.W\d{3}", result.stdout + result.stderr))
    # HSTS, redirect to HTTPS, secure session cookie, secure CSRF cookie
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= found


def test_check_deploy_flags_the_laptop_defaults(tmp_path):
    env = _production_env(tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        del env[name]

    result = _check_deploy(env)

    found = set(re.findall(r"foodbank\.W\d{3}", result.stdout + result.stderr))
    assert found == {"foodbank.W001", "foodbank.W002", "foodbank.W003"}


def test_https_switch_sets_every_secure_default(tmp_path):
    # Given SECURE_HTTPS=1 and a proxy that sets X-Forwarded-Proto
    env = _production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    names = [
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_HTTPONLY",
        "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
    ]
    printed = ", ".join(f"s.{name}" for name in names)
    code = f"import django; django.setup(); from django.conf import settings as s; print({printed})"

    # The command is this test's own constant text, run with the test's own interpreter.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == (
        "True True True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https') True DENY True same-origin"
    )


@pytest.mark.django_db
def test_pages_send_the_security_headers(client):
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _project_files(suffix: str):
    for package in PROJECT_PACKAGES:
        yield from (ROOT / package).rglob(f"*{suffix}")


def test_no_view_is_exempt_from_csrf():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _project_files(".py")
        if "csrf_exempt" in path.read_text(encoding="utf-8")
    ]

    assert offenders == []


def test_every_post_form_carries_a_csrf_token():
    form = re.compile(r"<form\b[^>]*method=[\"']post[\"'][^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)
    missing = []
    for path in _project_files(".html"):
        for match in form.finditer(path.read_text(encoding="utf-8")):
            if "{% csrf_token %}" not in match.group(1):
                missing.append(str(path.relative_to(ROOT)))

    assert missing == []


@pytest.mark.django_db
def test_a_login_post_without_the_csrf_token_is_refused(window_staff_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
