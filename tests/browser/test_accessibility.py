"""Every page, and the gallery's panels once opened, pass axe-core's checks (the npm devDependency, run in the
page as served under the site's CSP): accessible names, contrast, landmarks, ARIA use."""
from __future__ import annotations

import pytest

from .conftest import REPO
from .visit import CONTRAST_JS, WAIT, wait_ready

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VIOLATIONS = """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v =>
    `${v.id} (${v.impact}): ${v.help}: ` + v.nodes.map(n => n.target.join(" ")).join(", ")))"""


def violations(page) -> list[str]:
    page.evaluate(AXE.read_text())  # through DevTools: the page's CSP allows no injected script tag
    return page.evaluate(VIOLATIONS)


@pytest.fixture(scope="module")
def axe_ready():
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci` in the repository root")


def test_the_gallery_and_its_open_panels_pass_axe(axe_ready, watched, site_url):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    assert violations(page) == []
    page.keyboard.press("Tab")  # the skip link shows only with the focus
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert violations(page) == []
    # axe leaves text in its own background colour to a person's review ("incomplete"): measure it.
    [(name, ratio)] = [(c["name"], c["ratio"]) for c in page.evaluate(CONTRAST_JS, "body > nav")]
    assert ratio >= 4.5, name
    for panel in ("#index-button", "#help-button"):
        page.click(panel)
        assert violations(page) == [], panel
        page.keyboard.press("Escape")
    watched.assert_clean()


@pytest.mark.parametrize("path", ["list.html", "art/udnie/", "404.html"])
def test_the_other_pages_pass_axe(axe_ready, watched, site_url, path):
    page = watched.page
    page.goto(site_url + path)
    if path.startswith("art/"):
        wait_ready(page)
    assert violations(page) == []


TOGGLES = """() => ['mute-toggle', 'tour-button', 'spatial-toggle'].map(id => {
    const el = document.getElementById(id);
    return [id, el.textContent.trim(), el.getAttribute('aria-pressed')];
})"""


def test_a_toggle_that_renames_itself_says_no_pressed_state(watched, site_url):
    """"Unmute, pressed" reads as the opposite of what it means: a button whose name says what it does next
    (Mute/Unmute, Guided tour/Stop tour) has no aria-pressed; one whose name stays (Spatial sound) has it."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    assert page.evaluate(TOGGLES) == [["mute-toggle", "Mute", None], ["tour-button", "Guided tour", None],
                                      ["spatial-toggle", "Spatial sound", "false"]]
    for button in ("#mute-toggle", "#tour-button", "#spatial-toggle"):
        page.click(button)
    page.wait_for_function("() => window.imaudible.state.touring && window.imaudible.state.muted", timeout=WAIT)
    assert page.evaluate(TOGGLES) == [["mute-toggle", "Unmute", None], ["tour-button", "Stop tour", None],
                                      ["spatial-toggle", "Spatial sound", "true"]]
    for button in ("#mute-toggle", "#tour-button"):    # pressed-looking all the same
        assert page.get_attribute(button, "data-on") is not None
    page.click("#tour-button")
    page.wait_for_function("() => !window.imaudible.state.touring", timeout=WAIT)
    assert page.get_attribute("#tour-button", "data-on") is None
    watched.assert_clean()
