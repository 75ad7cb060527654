"""The OpenAPI schema is valid, and every endpoint in it answers as it says (schemathesis).

The schemathesis test walks every operation in ``/api/schema/`` (so endpoints other apps add later
are covered without touching this file), generating valid and invalid requests, and sends each one
with the token of every demo role. It fails on any 5xx and on any answer that does not match the
schema (body, content type, headers). Examples per operation: SCHEMATHESIS_MAX_EXAMPLES (default 15,
CI 15); SCHEMATHESIS_RANDOM=1 explores beyond the fixed, reproducible sequence.

A second run explores at random with a seed that changes every day (SCHEMATHESIS_SEED, default
today's date as YYYYMMDD, printed in the test's name so that a failure is reproduced with the same
seed): SCHEMATHESIS_DAILY_EXAMPLES examples an operation (default 5, CI 10), without the coverage
phase the fixed run already covers, so CI time stays within a few minutes.
"""

import os
from datetime import UTC, datetime

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from foodbank import tokens

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# One user per role from the demo network, plus no credentials at all.
DEMO_USERS = ["coordinator", "window_sapporo", "caseworker_sapporo", "volunteer", "navi"]


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text().startswith("openapi: 3")


@pytest.fixture
def credentials(db):
    """Demo data (every app's) and a token for each demo role."""
    call_command("load_demo_data", quiet=True)
    User = get_user_model()
    headers = {"anonymous": {}}
    for username in DEMO_USERS:
        _token, key = tokens.issue_token(user=User.objects.get(username=username), name="schemathesis")
        headers[username] = {"Authorization": f"Token {key}"}
    return headers


def _load_schema():
    # Generating the schema reads code only (no database), so it can be loaded at collection time:
    # each operation becomes its own test, named by method and path.
    from foodbank.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()

DAILY_SEED = int(os.environ.get("SCHEMATHESIS_SEED") or datetime.now(tz=UTC).strftime("%Y%m%d"))
DAILY_EXAMPLES = int(os.environ.get("SCHEMATHESIS_DAILY_EXAMPLES", "5"))
daily_schema = _load_schema()
daily_schema.config.seed = DAILY_SEED  # explicit: schemathesis seeds Hypothesis with it
daily_schema.config.phases.coverage.enabled = False


@pytest.fixture
def keep_connection():
    """Schemathesis calls the real WSGI handler, which closes the database connection after each
    request (and with it the test's transaction); Django's test client disconnects that handler
    the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SCHEMATHESIS_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_endpoint_answers_as_documented(case, credentials, keep_connection):
    for headers in credentials.values():
        case.call_and_validate(headers=headers, checks=CHECKS)


@daily_schema.parametrize()
@hypothesis_settings(
    max_examples=DAILY_EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@pytest.mark.parametrize("seed", [DAILY_SEED])
def test_every_endpoint_with_todays_seed(case, seed, credentials, keep_connection):
    """Random exploration, reproducible with ``SCHEMATHESIS_SEED=<seed>``."""
    for headers in credentials.values():
        case.call_and_validate(headers=headers, checks=CHECKS)
