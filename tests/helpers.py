"""Helpers shared by every test folder: plain functions and types that tests import (fixtures are
not imported: they come by name from ``tests/conftest.py`` and the plugins it registers,
``tests/fixtures/``).
"""

import contextlib
import threading
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from foodbank import tokens
from foodbank.models import Organisation, Site
from foodbank.services import grant_role

from .factories import UserFactory


@dataclass
class Network:
    food_bank: Organisation
    warehouse: Site
    agency_a: Organisation
    agency_b: Organisation
    window_a: Site
    window_b: Site
    other_food_bank: Organisation
    other_agency: Organisation
    other_window: Site


def make_actor(username: str, role: str, organisation: Organisation, site: Site | None = None):
    user = UserFactory(username=username)
    grant_role(user=user, role=role, organisation=organisation, site=site)
    return user


def api_client_for(user) -> APIClient:
    """An API client authenticated the way integrators are: with a token."""
    client = APIClient()
    if user is not None:
        token, key = tokens.issue_token(user=user, name="test")
        # As if used a moment ago: the once-a-minute last_used_at write then stays out of the
        # query counts that tests state for each endpoint.
        type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def clear_cache() -> None:
    """Empty this run's cache keys (on Redis only ours: the database is shared with the broker)."""
    from django.core.cache import cache

    if cache.__class__.__name__ != "RedisCache":
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def _reset_broker_pools(app) -> None:
    # Connections and producers are pooled per broker URL (kombu keeps a global registry too);
    # drop them so the next send opens a connection to the current URL.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable():
    """Point Celery at a port where nothing listens (the broker is down), then restore it."""
    from foodbank.celery import app

    saved = (app.conf.broker_url, app.conf.broker_write_url)
    _reset_broker_pools(app)
    app.conf.broker_url, app.conf.broker_write_url = "redis://127.0.0.1:1/0", None
    try:
        yield
    finally:
        _reset_broker_pools(app)
        app.conf.broker_url, app.conf.broker_write_url = saved


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def in_thread(target, errors: list, results: list | None = None) -> threading.Thread:
    """Run ``target`` in a thread of its own, with its own database connection (closed at the end):
    what it raises goes to ``errors``, what it returns to ``results``."""

    def run():
        try:
            returned = target()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        else:
            if results is not None:
                results.append(returned)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
