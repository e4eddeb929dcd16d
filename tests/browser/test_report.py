"""The evaluation report in Chromium under the site's CSP, over HTTP and from file://: the plots render,
hover shows the artwork's title, a click plays its clip, and nothing goes to the console as an error."""
from __future__ import annotations


import pytest

from imaudible.headers import CSP
from tests.evaluate import sample

from .conftest import open_page, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory):
    return sample.write(tmp_path_factory.mktemp("report-gallery"))


@pytest.fixture(scope="module")
def report_url(report_folder):
    with served(report_folder, CSP) as url:
        yield url + "index.html"


def _exercise(watched, url: str, name: str) -> None:
    page = watched.page
    page.goto(url)
    page.wait_for_function("() => window.imaudibleReport && window.imaudibleReport.ready", timeout=15000)
    plots = page.locator("svg.plot")
    assert plots.count() == 3
    for i in range(3):
        box = plots.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
    point = page.locator('svg .pt-music[data-id="nocturne"]').first
    point.hover()
    card = page.locator("#card")
    card.wait_for(state="visible", timeout=5000)
    assert card.inner_text().strip() == "Nocturne"
    assert page.evaluate("window.imaudibleReport.hovered") == "Nocturne"
    page.wait_for_function("() => document.querySelector('#card img').complete", timeout=5000)   # a busy machine
    assert page.locator("#card img").evaluate("img => img.naturalWidth") == 64
    point.click()
    page.wait_for_function("() => window.imaudibleReport.playing === 'nocturne' && "
                           "document.getElementById('map-player').currentTime > 0.2", timeout=15000)
    assert page.locator(".actions").first.is_hidden()        # no take buttons outside `serve`
    watched.screenshot(name)
    watched.assert_clean()


def test_report_over_http_under_the_site_csp(browser, report_url):
    watched = open_page(browser)
    try:
        _exercise(watched, report_url, "report-http")
    finally:
        watched.page.context.close()


def test_report_from_file_url(browser, report_folder):
    watched = open_page(browser)
    try:
        _exercise(watched, (report_folder / "index.html").as_uri(), "report-file")
    finally:
        watched.page.context.close()
