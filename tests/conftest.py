"""Actors and fixtures shared by every test folder (helpers that tests import: tests/helpers.py;
fixtures of one topic that several folders use: the plugins of tests/fixtures/, registered below).

The ``network`` fixture is a small tenant: one food bank with a warehouse, two windows run by two
agencies, and a second food bank (whose data nobody in the first may see). Actors are users with one
role each, created through ``foodbank.services.grant_role`` as the admin and demo data do.
"""

import time

import pytest
from django.db import connection

from foodbank.models import Organisation, Role

from .factories import FoodBankFactory, OrganisationFactory, SiteFactory, WarehouseFactory
from .helpers import Network, api_client_for, clear_cache, is_postgres, make_actor

# Fixtures shared by several folders, by topic; tests ask for them by name (never import them).
pytest_plugins = ["tests.fixtures.inventory", "tests.fixtures.shipping", "tests.fixtures.reports"]


@pytest.fixture
def network(db) -> Network:
    fb = FoodBankFactory(code="fb", name="フードバンク北")
    warehouse = WarehouseFactory(code="wh", food_bank=fb, organisation=fb)
    agency_a = OrganisationFactory(code="agency-a", food_bank=fb, name="小樽市社協")
    agency_b = OrganisationFactory(
        code="agency-b",
        food_bank=fb,
        name="旭川市自立サポート",
        kind=Organisation.Kind.INDEPENDENCE_SUPPORT,
        municipality="旭川市",
        regional_bureau="kamikawa",
    )
    window_a = SiteFactory(code="win-a", organisation=agency_a, food_bank=fb, name="小樽窓口")
    window_b = SiteFactory(
        code="win-b",
        organisation=agency_b,
        food_bank=fb,
        name="旭川窓口",
        postal_code="0700031",
        municipality="旭川市",
        municipality_code="01204",
        regional_bureau="kamikawa",
    )
    other_fb = FoodBankFactory(code="fb-other", name="フードバンク南")
    other_agency = OrganisationFactory(code="agency-other", food_bank=other_fb, name="函館市社協")
    other_window = SiteFactory(
        code="win-other", organisation=other_agency, food_bank=other_fb, name="函館窓口"
    )
    return Network(
        fb, warehouse, agency_a, agency_b, window_a, window_b, other_fb, other_agency, other_window
    )


@pytest.fixture
def coordinator(network):
    return make_actor("coordinator", Role.COORDINATOR, network.food_bank)


@pytest.fixture
def other_coordinator(network):
    return make_actor("other_coordinator", Role.COORDINATOR, network.other_food_bank)


@pytest.fixture
def window_staff_a(network):
    return make_actor("window_a", Role.WINDOW_STAFF, network.agency_a, network.window_a)


@pytest.fixture
def window_staff_b(network):
    return make_actor("window_b", Role.WINDOW_STAFF, network.agency_b, network.window_b)


@pytest.fixture
def case_worker_a(network):
    return make_actor("caseworker_a", Role.CASE_WORKER, network.agency_a)


@pytest.fixture
def case_worker_b(network):
    return make_actor("caseworker_b", Role.CASE_WORKER, network.agency_b)


@pytest.fixture
def volunteer(network):
    return make_actor("volunteer", Role.VOLUNTEER, network.food_bank)


@pytest.fixture
def integration(network):
    return make_actor("navi", Role.INTEGRATION, network.food_bank)


@pytest.fixture
def network_reader(network):
    """A holder of the network role (reports.platform): held at food bank "fb", grants nothing there."""
    return make_actor("network_reader", Role.NETWORK, network.food_bank)


@pytest.fixture
def api():
    return api_client_for


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: each test starts without any."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(scope="session", autouse=True)
def _empty_broker() -> None:
    """A run starts with no task in the broker. An interrupted earlier run can leave some queued (or
    delivered and unacknowledged, which Redis gives back later); ids restart with each test
    database, so such a task would act on this run's rows (a batch built before its requests)."""
    from django.conf import settings

    from foodbank.celery import app

    app.control.purge()
    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (threads pool, in this process) consuming the configured broker.

    Tasks run in their own threads with their own database connections, so tests that use it need
    ``transactional_db`` (committed data), which this fixture requests.
    """
    from celery.contrib.testing.worker import start_worker

    from foodbank.celery import app

    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as worker:
        yield worker
    _settle_task_connections()


def _settle_task_connections(timeout: float = 30.0) -> None:
    """Before the test database is flushed: a task thread the stopped worker left running (an outbox
    fan-out that started late) still holds locks, and TRUNCATE would deadlock with it. Wait for
    its query to end; end the session if it does not."""
    if not is_postgres():
        return
    others = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(others)
            busy = [pid for (pid,) in cursor.fetchall()]
            if not busy:
                return
            if time.monotonic() > deadline:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [busy])
                return
            time.sleep(0.1)
