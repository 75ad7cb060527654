"""Row locks live in the apps' ``locks.py`` and are taken in a fixed order (ARCHITECTURE.md, "Locks").

Read from the source with ``ast`` (no database):

- no ``.select_for_update(`` call in an app's Python source outside a ``locks.py`` module (tests,
  ``bench`` and the virtualenv are not apps);
- every function of a ``locks.py`` that calls ``select_for_update`` also calls ``.order_by(`` in
  its body, so that two transactions locking overlapping rows queue instead of deadlocking, unless
  it locks one row by construction: it calls ``.get(...)`` or ``.get_or_create(...)`` (Django
  refuses a second row) or ``.filter(pk=...)``. A lock on a unique key other than the primary key
  (a reservation's reference, a chunk's batch and index) orders by ``pk`` all the same: it costs
  nothing and keeps the rule simple.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_APPS = {"tests", "bench", "docs", "var", "node_modules"}
SINGLE_ROW_CALLS = {"get", "get_or_create"}


def _app_sources() -> Iterator[Path]:
    for package in sorted(ROOT.iterdir()):
        if (
            package.is_dir()
            and not package.name.startswith(".")
            and package.name not in NOT_APPS
            and (package / "__init__.py").exists()
        ):
            yield from sorted(package.rglob("*.py"))


def _calls(node: ast.AST, name: str) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == name:
            yield child


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def _single_row(function: ast.AST) -> bool:
    if any(next(_calls(function, name), None) for name in SINGLE_ROW_CALLS):
        return True
    return any(keyword.arg == "pk" for call in _calls(function, "filter") for keyword in call.keywords)


def test_the_walk_finds_the_apps_and_their_locks():
    locks = [path.parent.name for path in _app_sources() if path.name == "locks.py"]

    assert {"foodbank", "inventory", "referrals", "shipping", "reports", "console", "webhooks"} <= set(locks)


def test_no_select_for_update_outside_a_locks_module():
    outside = [
        _where(path, call)
        for path in _app_sources()
        if path.name != "locks.py"
        for call in _calls(ast.parse(path.read_text(encoding="utf-8")), "select_for_update")
    ]

    assert outside == [], "Row locks belong in the app's locks.py: " + ", ".join(outside)


def test_every_lock_is_ordered_or_of_one_row():
    unordered = []
    functions = 0
    for path in _app_sources():
        if path.name != "locks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if next(_calls(node, "select_for_update"), None) is None:
                continue
            functions += 1
            if next(_calls(node, "order_by"), None) is None and not _single_row(node):
                unordered.append(f"{_where(path, node)} {node.name}")

    assert functions > 20
    assert unordered == [], "Lock rows in primary-key order (.order_by('pk')): " + ", ".join(unordered)
