"""The benchmarks in bench/ run at smoke size, so a change that breaks one fails CI instead of
being found on the day someone measures. Figures are printed, never asserted (docs/spec.md §7); what is
asserted is that each script completes and its own correctness checks hold (no handout lost or
duplicated, no request failed, the report's totals agree)."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _database_url(suffix: str) -> str:
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}_smoke_{suffix}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(script: str, *args: str) -> str:
    port = str(_free_port())
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": _database_url(Path(script).stem),
        "BENCH_PORT": port,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output


def test_handout_benchmark_runs_and_loses_nothing():
    out = _run(
        "handout_bench.py", "--seconds", "1", "--single-seconds", "1", "--clients", "4", "--drain", "20"
    )
    assert "no handout lost or duplicated" in out
    assert "handouts / floor throughput" in out
    # one client alone against the floor, and the ratio of their p50s (issue 20's second target)
    assert re.search(r"floor, 1 client\s+\d.*\nhandouts, key, 1 client\s+\d", out)
    assert re.search(r"one client alone, handout's p50 / floor's p50: \d+\.\d\d", out)
    # what Django logs (tests/inventory/test_handouts_api.py explains each)
    assert re.search(r"handout with key\s+5\n\s+handout without key\s+4\n\s+floor\s+4\n", out)


def test_delivery_request_benchmark_runs_without_errors():
    out = _run(
        "delivery_request_bench.py",
        *("--seconds", "1", "--single-seconds", "0.5", "--clients", "4", "--port", str(_free_port())),
    )
    assert "Database queries per request" in out
    assert "POST /api/v1/delivery-requests/" in out
    # each endpoint with one client alone, beside its floor's p50
    assert re.search(r"POST delivery request, 1 client: p50 \d+\.\d× the floor's", out)
    assert re.search(r"GET delivery request, 1 client: p50 \d+\.\d× the floor's", out)
    # every filing's announcement was sent by gunicorn's workers' background senders, in batches
    found = re.search(
        r"Announcements .*: (\d+) written, 0 unsent after the server stopped, sent in (\d+)", out
    )
    assert found, out
    messages, batches = map(int, found.groups())
    assert 0 < batches < messages


def test_report_benchmark_runs_at_small_size():
    out = _run("report_bench.py", "--handouts", "3000", "--parcels", "600", "--windows", "4", "--repeat", "1")
    assert "rolled-up report equals the live count: ok" in out


def test_batch_benchmark_builds_on_a_real_worker_with_constant_queries():
    out = _run("batch_bench.py", "60", "--small", "20")
    assert "docs/spec.md §7 target (≤ 2×) met:" in out  # the worker built the batch to the end
    assert "independent of the batch's size: yes" in out


def test_recall_benchmark_runs_and_the_trace_equals_the_ledger():
    out = _run(
        "recall_bench.py",
        "--lots",
        "40",
        "--handouts",
        "300",
        "--parcels",
        "60",
        "--windows",
        "4",
        "--repeat",
        "1",
    )
    assert "trace equals the ledger" in out
    assert "queries [" in out
