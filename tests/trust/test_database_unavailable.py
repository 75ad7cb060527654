"""A request that finds the database gone (PostgreSQL restarting) is 503 with Retry-After, for the
API (JSON ``service_unavailable``) and for pages alike, never 500. The database is made unreachable
for real: the connection is pointed at a port where nothing listens (SQLite: a missing folder)."""

import contextlib

import pytest
from django.db import connections
from django.test import Client

from bench.faults import free_port
from tests.helpers import api_client_for

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def database_unreachable():
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = str(free_port())
    else:
        connection.settings_dict["NAME"] = "/nonexistent-folder/db.sqlite3"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_the_api_answers_503_with_retry_after_when_the_database_is_gone(window_staff_a):
    client = api_client_for(window_staff_a)

    with database_unreachable():
        response = client.get("/api/v1/handouts/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"
    # and once it is back, the same request succeeds
    assert client.get("/api/v1/handouts/").status_code == 200


def test_a_page_answers_503_with_retry_after_when_the_database_is_gone(window_staff_a):
    client = Client(raise_request_exception=False)
    client.force_login(window_staff_a)

    with database_unreachable():
        response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert 'role="alert"' in response.content.decode()
    assert client.get("/").status_code == 200
