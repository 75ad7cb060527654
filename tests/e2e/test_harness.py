"""The journeys' checks catch what they are there to catch (a check that never fails proves nothing)."""

import pytest

from .browser import (
    PHONE,
    assert_accessible,
    assert_controls_labelled,
    assert_touch_targets,
    axe_violations,
    tab_to,
)

BAD_PAGE = """<!DOCTYPE html><html><head><title>bad</title></head><body><main>
<p style="color:#aaa;background:#fff">pale grey text on white</p>
<input id="q" placeholder="only a placeholder">
<button></button>
</main></body></html>"""

GOOD_PAGE = """<!DOCTYPE html><html lang="ja"><head><title>良い</title></head><body><main>
<h1>検索</h1>
<label for="q">キーワード</label><input id="q">
<button type="button" tabindex="-1" id="unreachable">送信</button>
</main></body></html>"""


@pytest.fixture
def blank(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def test_axe_runs_in_the_page_and_fails_on_serious_violations(blank):
    # Given a page with low contrast, an unlabelled field, an unnamed button and no lang
    blank.set_content(BAD_PAGE)

    # Then axe reports each rule (it takes a placeholder for a label: see the next test)
    found = {v["id"]: v["impact"] for v in axe_violations(blank)}
    assert found == {
        "button-name": "critical",
        "color-contrast": "serious",
        "html-has-lang": "serious",
        "page-has-heading-one": "moderate",
    }
    # and the assertion fails on the serious and critical ones, with a readable list
    with pytest.raises(AssertionError) as failure:
        assert_accessible(blank)
    message = str(failure.value)
    assert "axe found 3 serious/critical accessibility violation(s)" in message
    assert "- color-contrast (serious): Elements must meet minimum color contrast ratio thresholds" in message
    assert "    <button></button>" in message
    assert "page-has-heading-one" not in message


def test_label_check_wants_a_visible_label(blank):
    blank.set_content(BAD_PAGE)

    with pytest.raises(AssertionError) as failure:
        assert_controls_labelled(blank)

    assert str(failure.value).splitlines()[1:] == [
        '  field without a <label>: <input id="q" placeholder="only a placeholder">',
        "  button without a name: <button></button>",
    ]


def test_a_clean_page_passes_and_tab_to_finds_only_what_the_keyboard_reaches(blank):
    blank.set_content(GOOD_PAGE)

    assert_accessible(blank)
    assert_controls_labelled(blank)
    assert tab_to(blank, blank.get_by_label("キーワード")) == 1
    with pytest.raises(AssertionError, match="not reached after 5 presses of Tab"):
        tab_to(blank, blank.locator("#unreachable"), max_presses=5)


def test_touch_target_check_finds_small_buttons_but_not_links_in_text(blank):
    blank.set_content(
        """<main><p>Read <a href="#">the guide</a> first.</p>
        <button style="height:30px">small</button>
        <button style="min-height:48px;min-width:48px">big</button></main>"""
    )

    with pytest.raises(AssertionError) as failure:
        assert_touch_targets(blank)

    lines = str(failure.value).splitlines()
    assert len(lines) == 2
    assert lines[1].endswith('px: <button style="height:30px">small</button>')
