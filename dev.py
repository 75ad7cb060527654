#!/usr/bin/env python3
"""Run the food bank system, or its tests, on a machine with nothing but Python 3.11+.

    python3 dev.py start   # virtualenv, install, migrate, demo data; web + Celery worker + beat
    python3 dev.py test    # virtualenv, install with test tools, run the test suite
    python3 dev.py check   # what CI runs (.ci/run), less the slow tests: run it before you push

Only the standard library is used here: this script is what creates the virtual environment.
Settings come from the environment (see README); with none set, the system uses an SQLite file and
kombu's filesystem broker under ./var, so no database or broker server is needed.
"""

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FOODBANK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# The browser tests (tests/e2e) drive Debian's Chromium; CHROMIUM_PATH names another build.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def warn(message: str) -> None:
    print(f"\033[1;33m==> WARNING: {message}\033[0m", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv(extras: str) -> None:
    """Create the virtualenv and install the project, once per version of pyproject.toml."""
    if not PYTHON.exists():
        say(f"Creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    if not stamp.exists():
        say("Installing the project and its dependencies (first run only)")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{extras}")
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()


def has_japanese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def ensure_browser() -> None:
    """Install Debian's Chromium (and a Japanese font, so screenshots are legible) where missing,
    and poppler-utils and zbar-tools, with which the tests read back the QR codes on packing slips.

    Needs root and apt-get (CI, a container, a Debian machine as root). Anywhere else the browser
    tests are skipped, and this says so here and in pytest's summary.
    """
    missing = []
    if not os.access(CHROMIUM, os.X_OK) and CHROMIUM == "/usr/bin/chromium":
        missing.append("chromium")
    if not has_japanese_font():
        missing.append("fonts-ipaexfont-gothic")
    # The packing-slip tests render PDF pages and decode their QR codes like a scanner would.
    if not shutil.which("pdftoppm"):
        missing.append("poppler-utils")
    if not shutil.which("zbarimg"):
        missing.append("zbar-tools")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if missing and as_root and shutil.which("apt-get"):
        say(f"Installing Debian's {' and '.join(missing)} for the browser tests (first run only)")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            run("apt-get", "update", "-qq", env=apt_env)
            run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=apt_env)
        except (subprocess.CalledProcessError, OSError) as exc:
            warn(f"apt-get could not install {' '.join(missing)}: {exc}")
    if not os.access(CHROMIUM, os.X_OK):
        warn(
            f"Chromium not found at {CHROMIUM}: the browser tests (tests/e2e) will be SKIPPED.\n"
            "    Install Debian's package (sudo apt-get install chromium), or set CHROMIUM_PATH to a\n"
            "    Chromium or Chrome binary, then run the tests again."
        )
    elif not has_japanese_font():
        warn("No Japanese font found: the browser tests run, but their screenshots show boxes for kana.")


def manage(*args: str) -> None:
    run(PYTHON, "manage.py", *args)


def start(options: argparse.Namespace) -> int:
    ensure_venv("")
    os.environ.setdefault("DEBUG", "1")
    say("Preparing the database")
    manage("migrate", "--no-input", "-v", "0")
    manage("load_demo_data")
    url = f"http://127.0.0.1:{options.port}/"
    processes = {
        "worker": [BIN / "celery", "-A", "foodbank", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [BIN / "celery", "-A", "foodbank", "beat", "--loglevel", "INFO"],
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{options.port}", "--noreload"],
    }
    children = {}
    for name, argv in processes.items():
        say(f"Starting {name}")
        children[name] = subprocess.Popen([str(a) for a in argv], cwd=ROOT)
    password = os.environ.get("DEMO_PASSWORD", "foodbank-demo")
    print(
        f"\n  Open {url}  (API docs: {url}api/docs/)\n"
        f"  Demo logins, all with password '{password}':\n"
        "    coordinator · window_sapporo · window_otaru · caseworker_sapporo · caseworker_ebetsu\n"
        "    volunteer · navi (integration) · admin (Django admin)\n"
        "  Press Ctrl+C to stop.\n",
        flush=True,
    )

    def stop(*_args) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [name for name, child in children.items() if child.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


def test(options: argparse.Namespace, pytest_args: list[str]) -> int:
    ensure_venv("[dev]")
    ensure_browser()
    where = os.environ["DATABASE_URL"].split("@")[-1] if "DATABASE_URL" in os.environ else "SQLite"
    say(f"Running the tests on {where}")
    return subprocess.call([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT)


# The checks CI runs besides the tests (.ci/run calls `dev.py check --static`), in this order.
STATIC_CHECKS: list[tuple[str, list[str | Path]]] = [
    ("Lint (ruff)", [BIN / "ruff", "check", "."]),
    ("Formatting (ruff format)", [BIN / "ruff", "format", "--check", "."]),
    ("Import contracts (lint-imports, .importlinter)", [BIN / "lint-imports", "--no-cache"]),
    ("Types (mypy: [tool.mypy] in pyproject.toml)", [BIN / "mypy"]),
    ("Migrations are complete", [PYTHON, "manage.py", "makemigrations", "--check", "--dry-run"]),
    (
        "OpenAPI schema is valid, without warnings",
        [PYTHON, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull],
    ),
]
# Left to CI: the browser journeys, the fault scenarios and whatever is marked slow (benchmarks).
QUICK_TESTS = "not slow and not e2e and not fault"


def check(options: argparse.Namespace, pytest_args: list[str]) -> int:
    """Run CI's checks here; every one runs, and the summary lists those that failed."""
    ensure_venv("[dev]")
    steps = list(STATIC_CHECKS)
    if not options.static:
        steps.append(
            ("Tests (" + QUICK_TESTS + ")", [PYTHON, "-m", "pytest", "-q", "-m", QUICK_TESTS, *pytest_args])
        )
    if options.image:
        steps.append(("Production image recipe (.ci/image_check.py)", [PYTHON, ".ci/image_check.py"]))
    failed = []
    for title, argv in steps:
        say(title)
        if subprocess.call([str(a) for a in argv], cwd=ROOT) != 0:
            failed.append(title)
    if failed:
        warn("Failed: " + "; ".join(failed))
        return 1
    say("Every check passed")
    return 0


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036  (this script must say so clearly on an old Python)
        sys.exit("Python 3.11 or newer is needed (found {}.{}).".format(*sys.version_info[:2]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start_parser = sub.add_parser("start", help="run the system with demo data")
    start_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.add_parser("test", help="run the tests (extra arguments go to pytest)")
    check_parser = sub.add_parser(
        "check", help="run CI's checks less the slow tests (extra arguments go to pytest)"
    )
    check_parser.add_argument("--static", action="store_true", help="the checks without the tests")
    check_parser.add_argument("--image", action="store_true", help="also the image recipe (minutes)")
    options, rest = parser.parse_known_args()
    if options.command == "start":
        if rest:
            parser.error(f"unknown arguments: {' '.join(rest)}")
        return start(options)
    if options.command == "check":
        return check(options, rest)
    return test(options, rest)


if __name__ == "__main__":
    sys.exit(main())
