"""The authorisation matrix (tests/trust/matrix.py, docs/authorization.md) walked end to end.

For every row (one method of one API endpoint or page) and every role, the request is made on the
role's own organisation's object, on another organisation's of the same food bank, on another food
bank's, and on an id that does not exist:

* the answer is the matrix's (forbidden action 403, forbidden object 404, allowed 2xx; pages send
  anonymous callers to the login page);
* another food bank's object gets exactly the answer a nonexistent id gets (existence never leaks);
* a refused request (a GET too) writes nothing: no table of the project gains or loses a row, and the object
  it named is unchanged;
* a list answers only what is in the role's scope (another food bank's object is never listed).

Each request runs in a savepoint that is rolled back, so every role meets the same world.
A completeness test fails for any route of the URL resolver that has no row.
"""

from __future__ import annotations

import inspect
import os

import pytest
from django.apps import apps
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.helpers import api_client_for

from .matrix import ALL_ROWS, EXEMPT_METHODS, EXEMPT_ROUTES, LOGIN, ROLES, Row
from .world import NONEXISTENT_ID, PLACES, World

OBSERVE = os.environ.get("MATRIX_OBSERVE")
# Walk only these roles (comma-separated), e.g. MATRIX_ROLES=network to fill in one column.
ONLY_ROLES = tuple(r for r in os.environ.get("MATRIX_ROLES", "").split(",") if r)
PROJECT_APPS = ("foodbank", "inventory", "referrals", "shipping", "reports", "console", "axes")
METHODS = ("get", "post", "put", "patch", "delete")

# --- the URL resolver's routes -------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = p.name or str(p.pattern)
            yield (f"{namespace}:{name}" if namespace else name), prefix + str(p.pattern), p.callback


def _function_view_methods(callback) -> set[str]:
    """The methods a function view answers, read from its source: ``@require_POST`` /
    ``@require_GET``, else GET plus POST when it branches on ``request.method == "POST"``."""
    try:
        source = inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return {"*"}
    if "@require_POST" in source:
        return {"POST"}
    if "@require_GET" in source:
        return {"GET"}
    return {"GET", "POST"} if 'request.method == "POST"' in source else {"GET"}


def resolver_routes() -> dict[str, tuple[str, set[str]]]:
    """Every routed (name → (path, methods)); methods of class-based views, ``{"*"}`` for functions."""
    out = {}
    for name, route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is not None:
            allowed = getattr(view_class, "http_method_names", METHODS)
            methods = {m.upper() for m in METHODS if hasattr(view_class, m) and m in allowed}
        else:
            methods = _function_view_methods(callback)
        out[name] = (route, methods)
    return out


def _exempt(name: str, method: str = "*") -> bool:
    if (name, method) in EXEMPT_METHODS:
        return True
    return name in EXEMPT_ROUTES or any(
        key.endswith(":*") and name.startswith(key[:-1]) for key in EXEMPT_ROUTES
    )


def test_every_route_has_a_matrix_row():
    rows = {(r.route, r.method) for r in ALL_ROWS}
    routed = {r.route for r in ALL_ROWS}
    missing = []
    for name, (path, methods) in sorted(resolver_routes().items()):
        if _exempt(name):
            continue
        if methods == {"*"}:
            if name not in routed:
                missing.append(f"{path!r} (page {name!r}): no row for any method")
            continue
        missing += [
            f"{method} /{path} (route {name!r}): no row"
            for method in sorted(methods)
            if (name, method) not in rows and not _exempt(name, method)
        ]
    assert not missing, (
        "Routes without a row in tests/trust/matrix.py (add one line each, and the row of "
        "docs/authorization.md):\n  " + "\n  ".join(missing)
    )


def test_every_row_names_a_route_and_every_role():
    routes = resolver_routes()
    for row in ALL_ROWS:
        assert row.route in routes, f"{row.id}: no such route"
        assert set(row.expect) == set(ROLES), row.id
    ids = [r.id for r in ALL_ROWS]
    assert len(ids) == len(set(ids)), "a route and method has two rows"


# --- walking the matrix -----------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in PROJECT_APPS and not m._meta.proxy and m._meta.managed
    }


def _state(obj):
    if obj is None:
        return None
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    return model_to_dict(fresh) if fresh is not None else "deleted"


def _client(role: str, user, row: Row):
    if row.page:
        client = Client()
        # An integration cannot get a page session: every login refuses it
        # (test_credentials.test_an_integration_user_cannot_log_in_with_a_password), so on pages
        # it is the anonymous caller it would be (matrix.page).
        if user is not None and role != "integration":
            client.force_login(user)
        return client
    return api_client_for(user)


def _answer(response, row: Row):
    if row.page and response.status_code == 302 and "/accounts/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


def _call(client, row: Row, url: str, body, query):
    method = getattr(client, row.method.lower())
    if row.method == "GET":
        return method(url, query or {})
    if row.page:
        return method(url, body or {})
    if row.fmt == "multipart":
        return method(url, body or {}, format="multipart")
    return method(url, body or {}, format="json")


def _listed_ids(response) -> set[int]:
    data = response.json()
    if isinstance(data, dict):
        data = data.get("results", [])
    return {x["id"] for x in data if isinstance(x, dict) and "id" in x}


@pytest.fixture
def actors(coordinator, window_staff_a, case_worker_a, volunteer, integration, network_reader):
    return {
        "coordinator": coordinator,
        "window_staff": window_staff_a,
        "case_worker": case_worker_a,
        "volunteer": volunteer,
        "integration": integration,
        "network": network_reader,
        "anonymous": None,
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.parametrize("row", ALL_ROWS, ids=[r.id for r in ALL_ROWS])
def test_matrix(row: Row, network, actors):
    world = World(network, actors)
    routes = resolver_routes()
    places = PLACES if row.obj else ("own",)
    # Build every object (and body) the row names before any request, outside the savepoints.
    targets, urls, bodies, queries = {}, {}, {}, {}
    for place in places:
        targets[place] = world.obj(row.obj, place) if row.obj else None
        if row.kwargs:
            kwargs = row.kwargs(world, place)
        elif "<int:pk>" in routes[row.route][0]:
            kwargs = {"pk": targets[place].pk}
        else:
            kwargs = {}
        urls[place] = reverse(row.route, kwargs=kwargs)
        bodies[place] = row.body(world, place) if row.body else None
        queries[place] = row.query(world, place) if row.query else None
        if place == "own" and kwargs:
            urls["nonexistent"] = reverse(
                row.route, kwargs={k: NONEXISTENT_ID if isinstance(v, int) else v for k, v in kwargs.items()}
            )

    if row.listed:  # what a list must or must not show exists before the list is asked for
        for place in PLACES:
            world.obj(row.listed, place)
    failures, observed = [], {}
    for role in ONLY_ROLES or ROLES:
        user = actors[role]
        client = _client(role, user, row)
        answers = {}
        for place in [*places, *(["nonexistent"] if "nonexistent" in urls else [])]:
            before_counts = _counts()
            before_states = {p: _state(t) for p, t in targets.items()}
            with transaction.atomic():
                response = _call(
                    client,
                    row,
                    urls[place],
                    bodies.get(place, bodies["own"]),
                    queries.get(place, queries["own"]),
                )
                answer = answers[place] = _answer(response, row)
                refused = answer in (LOGIN, 400, 401, 403, 404, 405, 409, 422) or (
                    isinstance(answer, int) and answer >= 400
                )
                if refused:
                    after_counts = _counts()
                    changed = {
                        k: (v, after_counts[k]) for k, v in before_counts.items() if after_counts[k] != v
                    }
                    if changed:
                        failures.append(f"{role} on {place}: refused with {answer} but wrote rows {changed}")
                    for p, t in targets.items():
                        if _state(t) != before_states[p]:
                            failures.append(
                                f"{role} on {place}: refused with {answer} but changed the {p} object"
                            )
                if (
                    row.listed
                    and place == "own"
                    and answer == 200
                    and not row.page
                    and response["Content-Type"].startswith("application/json")
                ):
                    ids = _listed_ids(response)
                    own = world.obj(row.listed, "own").pk
                    if role == "coordinator" and own not in ids:
                        # The coordinator sees the whole food bank: proves the check reads the list.
                        failures.append(f"coordinator: the list does not show the own {row.listed} ({own})")
                    hidden = ["foreign"]
                    if role in ("window_staff", "case_worker") and role not in row.listed_sibling:
                        hidden.append("sibling")
                    if role == "network":  # acts inside no food bank: lists nothing of any
                        hidden = ["own", "sibling", "foreign"]
                    for p in hidden:
                        leaked = world.obj(row.listed, p).pk
                        if leaked in ids:
                            failures.append(f"{role}: the list shows the {p} {row.listed} (id {leaked})")
                transaction.set_rollback(True)
            if place != "nonexistent":
                expected = row.expected(role, place)
                if answer != expected:
                    detail = response.content[:200] if hasattr(response, "content") else b""
                    failures.append(f"{role} on {place}: expected {expected}, got {answer} {detail!r}")
        if "nonexistent" in answers and answers["nonexistent"] != answers["foreign"]:
            failures.append(
                f"{role}: another food bank's object got {answers['foreign']}, a nonexistent id "
                f"{answers['nonexistent']} (existence leaks)"
            )
        observed[role] = tuple(answers[p] for p in places)
    if OBSERVE:
        with open(OBSERVE, "a") as f:
            cells = "\t".join(f"{r}={observed[r]}" for r in ONLY_ROLES or ROLES)
            f.write(f"{row.id}\t{row.obj}\t{cells}\n")
            for failure in failures:
                f.write(f"    ! {failure}\n")
        return
    assert not failures, f"{row.id}:\n  " + "\n  ".join(failures)


def test_the_docs_carry_the_same_matrix():
    from .matrix import DOC_PATH, markdown_table

    with open(DOC_PATH, encoding="utf-8") as f:
        docs = f.read()
    assert markdown_table() in docs, (
        f"{DOC_PATH} is out of date with tests/trust/matrix.py: run "
        "`python -m tests.trust.matrix --write` and commit the result"
    )
