"""Fixtures for browser journeys: Chromium, a phone and a laptop, the live server, a real worker.

Every test under tests/e2e is marked ``e2e``. Without Chromium (or Playwright) they are skipped with
the reason in pytest's summary; CI sets ``E2E_REQUIRE_BROWSER=1`` so that a missing browser fails
the run instead.

The app runs in pytest-django's ``live_server`` (a thread of this process, on a transactional test
database that is emptied after each test), so test code creates data with the usual factories and
actor fixtures, and the browser sees it.
"""

import os
from pathlib import Path

import pytest

# The catalogue of pack types and items the inventory tests use (a fixture, imported to be shared).
from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DEVICES, Screenshots

HERE = Path(__file__).resolve().parent
_outcome_key = pytest.StashKey[dict]()


def _missing_browser() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    try:
        import playwright.sync_api  # noqa: F401
        from axe_playwright_python.base import AXE_SCRIPT  # noqa: F401
    except ImportError as exc:
        return f"Playwright or axe-core is not installed ({exc}): pip install -e '.[dev]'"
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or set CHROMIUM_PATH; `python3 dev.py test` installs it when run as root"
        )
    return ""


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    if not ours:
        return
    for item in ours:
        item.add_marker(pytest.mark.e2e)
    reason = _missing_browser()
    if not reason:
        return
    if os.environ.get("E2E_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"E2E_REQUIRE_BROWSER is set but the browser tests cannot run: {reason}")
    skip = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in ours:
        item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test, so that page fixtures can tell a failed test at teardown.
    report = yield
    item.stash.setdefault(_outcome_key, {})[report.when] = report
    return report


def _failed(request) -> bool:
    reports = request.node.stash.get(_outcome_key, {})
    return any(report.failed for report in reports.values())


def journey_name(request) -> str:
    return request.node.name.removeprefix("test_").split("[")[0]


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the e2e package; each test gets fresh contexts (cookies, storage).

    Playwright's sync API drives the browser from an asyncio loop that it keeps running in this
    thread between calls, so Django's guard against ORM calls from async code sees a running loop
    and refuses the tests' own (synchronous) factory calls and the database flush after each test.
    Nothing here is async: every Playwright call blocks until it is done, the ORM calls happen
    between them, and the app itself runs in the live server's threads where no loop runs. So the
    guard is lifted for as long as this browser is open, and for nothing else.
    """
    from playwright.sync_api import sync_playwright

    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def open_page(request, browser, live_server):
    """``open_page("phone" | "laptop")``: a page in a new browser context (its own cookies), at the
    live server. Use several for journeys with more than one person. On failure, each open page is
    saved to ``test-artifacts/<journey>/failed-<n>.png``."""
    contexts = []

    def open_(device: str = "phone"):
        context = browser.new_context(**DEVICES[device], base_url=live_server.url)
        # Fail fast: a page of this app answers in well under this, even on a busy CI machine.
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    if _failed(request):
        folder = ARTIFACTS / journey_name(request)
        folder.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate((p for c in contexts for p in c.pages), start=1):
            page.screenshot(path=folder / f"failed-{n}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def phone(open_page):
    """A page on a phone-sized screen (390×844, touch, Japanese locale) at the live server."""
    return open_page("phone")


@pytest.fixture
def laptop(open_page):
    """A page on a laptop screen (1280×800, Japanese locale) at the live server."""
    return open_page("laptop")


@pytest.fixture
def shots(request):
    """``shots(page, "name")`` saves ``test-artifacts/<journey>/<NN>-name.png`` (journey = test name)."""
    return Screenshots(journey_name(request))


@pytest.fixture
def live_server_with_worker(live_server, celery_worker):
    """The live server plus a real Celery worker (threads, in this process) on the configured broker.

    For journeys whose pages schedule tasks (a dispatch batch, labels, imports): what the browser
    triggers through ``foodbank.outbox.enqueue`` runs in the worker, against the same database.
    """
    return live_server


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch documents go to default storage: keep each journey's files apart, out of the repository."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
