"""Helpers for browser journeys: the browser and its devices, login, screenshots, keyboard, accessibility.

Everything here drives Debian's Chromium through Playwright's sync API. Nothing sleeps: Playwright
waits for elements and navigations itself, and ``expect`` retries assertions until they hold.
"""

import os
import re
import shutil
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS_DIR", ROOT / "test-artifacts"))

# Debian's chromium package; another build can be named with CHROMIUM_PATH (e.g. on a laptop).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless and quiet: no sandbox (CI runs as root), no GPU, and no calls home, which this machine's
# closed network would refuse many at a time. Playwright gives every launch a fresh profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The devices window staff and coordinators use, both set to Japanese as the food bank's are.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ja-JP",
    "timezone_id": "Asia/Tokyo",
}
LAPTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "ja-JP",
    "timezone_id": "Asia/Tokyo",
}
DEVICES = {"phone": PHONE, "laptop": LAPTOP}

# tests.factories.UserFactory gives every user this password.
TEST_PASSWORD = "pw-for-tests"

# --- Logging in -----------------------------------------------------------------------------------


def login(page: Page, username: str, password: str = TEST_PASSWORD, *, next_url: str = "") -> None:
    """Log in through the real login page (by mouse), and wait for the page it leads to.

    For the keyboard-only path, see ``login_with_keyboard``; for a login page the user has already
    opened (by a link), ``login_here``.
    """
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    login_here(page, username, password)


def login_here(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Fill in and submit the login form that ``page`` is opening or has open (by mouse).

    A second ``goto`` while a link's navigation to the login page is under way would interrupt it
    ("navigation interrupted by another navigation"), so this waits for the page the user opened.
    """
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    _expect_left_login_page(page, username)


def login_with_keyboard(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Type into the login form already open in ``page`` using only the keyboard, then press Enter."""
    type_into(page, page.locator("#id_username"), username)
    type_into(page, page.locator("#id_password"), password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _expect_left_login_page(page, username)


def _expect_left_login_page(page: Page, username: str) -> None:
    if "/accounts/login/" in page.url:
        error = page.locator("[role=alert]")
        why = error.inner_text() if error.count() else "no error shown"
        raise AssertionError(f"Login as {username!r} failed: {why}")


# --- Keyboard -------------------------------------------------------------------------------------


def focused_element(page: Page) -> str:
    """A short description of the element that has focus, for messages."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return "<body>";
            return el.outerHTML.replace(/\\s+/g, " ").slice(0, 160);
        }"""
    )


def _has_focus(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, max_presses: int = 25, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until ``target`` has focus, and return how many presses it took.

    Fails when the element cannot be reached from the keyboard, or when it has focus but no visible
    focus indicator (a keyboard user would not see where they are).
    """
    key = "Shift+Tab" if backwards else "Tab"
    target.wait_for()
    presses = 0
    while not _has_focus(target):
        if presses >= max_presses:
            raise AssertionError(
                f"{target} not reached after {max_presses} presses of {key}; "
                f"focus is on {focused_element(page)}"
            )
        page.keyboard.press(key)
        presses += 1
    assert_focus_visible(page)
    return presses


def type_into(page: Page, field: Locator, text: str) -> None:
    """Tab to ``field`` and type ``text``, replacing what was there, keys only."""
    tab_to(page, field)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def press_on(page: Page, target: Locator, key: str = "Enter") -> None:
    """Tab to a link or button and activate it with Enter (or Space)."""
    tab_to(page, target)
    page.keyboard.press(key)


def assert_focus_visible(page: Page) -> None:
    """The focused element shows a focus indicator (an outline or a box shadow)."""
    shown = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            return outline || style.boxShadow !== "none";
        }"""
    )
    assert shown, f"The focused element has no visible focus indicator: {focused_element(page)}"


# --- Labels and accessibility ---------------------------------------------------------------------

_UNLABELLED_CONTROLS_JS = """() => {
    const text = (el) => (el ? (el.innerText || el.textContent || "").trim() : "");
    const byIds = (ids) => (ids || "").split(/\\s+/).filter(Boolean)
        .map((id) => text(document.getElementById(id))).join(" ").trim();
    const problems = [];
    const fields = document.querySelectorAll(
        "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]),"
        + " select, textarea");
    for (const el of fields) {
        const labelled = [...(el.labels || [])].some((label) => text(label))
            || byIds(el.getAttribute("aria-labelledby"));
        if (!labelled) problems.push("field without a <label>: " + el.outerHTML.slice(0, 160));
    }
    const buttons = document.querySelectorAll(
        "button, input[type=submit], input[type=button], [role=button]");
    for (const el of buttons) {
        const name = text(el) || el.value || el.getAttribute("aria-label")
            || byIds(el.getAttribute("aria-labelledby"));
        if (!(name || "").trim()) problems.push("button without a name: " + el.outerHTML.slice(0, 160));
    }
    return problems;
}"""


def assert_controls_labelled(page: Page) -> None:
    """Every field has a <label> (or aria-labelledby) with text, and every button a name.

    Stricter than axe: a placeholder or an aria-label alone is not enough, since a window worker
    must see what to type.
    """
    problems = page.evaluate(_UNLABELLED_CONTROLS_JS)
    assert not problems, f"Unlabelled controls on {page.url}:\n  " + "\n  ".join(problems)


_SMALL_TARGETS_JS = """(minimum) => {
    const small = [];
    const controls = document.querySelectorAll(
        "button, select, textarea, input:not([type=hidden]), [role=button], a");
    for (const el of controls) {
        // Links inside running text are exempt (WCAG 2.5.8); links laid out as blocks or buttons are not.
        if (el.tagName === "A" && getComputedStyle(el).display === "inline") continue;
        // A checkbox or radio button is as big as the label around or beside it.
        const box = ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels[0]
            ? el.labels[0] : el).getBoundingClientRect();
        const shown = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0;
        if (shown && (box.width < minimum || box.height < minimum)) {
            small.push(`${Math.round(box.width)}×${Math.round(box.height)}px: `
                + el.outerHTML.replace(/\\s+/g, " ").slice(0, 140));
        }
    }
    return small;
}"""


def assert_touch_targets(page: Page, minimum: int = 44) -> None:
    """Every button, field and block link on screen is at least ``minimum`` CSS pixels each way
    (44 is Apple's and WCAG 2.5.5's figure; the app's own controls are 48)."""
    # Sizes come from the stylesheets: measured before they have loaded, a 48px row is 27px.
    page.wait_for_load_state("load")
    small = page.evaluate(_SMALL_TARGETS_JS, minimum)
    assert not small, f"Touch targets under {minimum}px on {page.url}:\n  " + "\n  ".join(small)


FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page, *, context: str | None = None) -> list[dict]:
    """Run axe-core inside the page (WCAG 2.x A and AA rules and best practices); return violations."""
    page.wait_for_load_state("load")  # colour contrast and sizes depend on the stylesheets
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate(
        """async (context) => {
            const results = await axe.run(context || document, {resultTypes: ["violations"]});
            return results.violations;
        }""",
        context,
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  * at {' '.join(map(str, node['target']))}")
            html = re.sub(r"\s+", " ", node["html"])
            lines.append(f"    {html[:200]}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"    {line.strip()}" for line in summary.splitlines() if line.strip())
    return "\n".join(lines)


def assert_accessible(page: Page, *, context: str | None = None) -> None:
    """Fail on any axe-core violation of impact serious or critical; print the lesser ones."""
    violations = axe_violations(page, context=context)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    minor = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if minor:
        print(f"axe: {len(minor)} moderate/minor finding(s) on {page.url}:\n{format_violations(minor)}")
    assert not failing, (
        f"axe found {len(failing)} serious/critical accessibility violation(s) on {page.url}:\n"
        + format_violations(failing)
    )


# --- Screenshots ----------------------------------------------------------------------------------


class Screenshots:
    """Numbered full-page screenshots of one journey: ``test-artifacts/<journey>/<NN>-<name>.png``.

    The journey's folder is emptied when the journey starts, so it always shows the latest run.
    """

    def __init__(self, journey: str) -> None:
        self.folder = ARTIFACTS / journey
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.wait_for_load_state("load")
        page.screenshot(path=path, full_page=True, animations="disabled")
        return path


def expect_japanese(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def expect_english(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
