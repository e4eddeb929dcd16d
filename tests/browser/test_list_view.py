"""The list view's first view: a phone gets the first work's thumbnail (preloaded), a desktop the full image,
and the first image's place is kept while it loads, so nothing below it moves."""
from __future__ import annotations

import time

from tests.browser.conftest import open_page

SHIFTS = """window.__shifts = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__shifts.push(e.value); })
  .observe({ type: "layout-shift", buffered: true });"""
FIRST_IMAGE = "(() => { const i = document.querySelector('.artwork img'); const r = i.getBoundingClientRect();" \
              " return { src: i.currentSrc, complete: i.complete, height: r.height }; })()"


def visit(browser, site_url, **context):
    watched = open_page(browser, **context)
    page = watched.page
    images = []

    def slow_image(route):
        images.append(route.request.url.rsplit("/", 1)[1])
        time.sleep(0.6)  # the image arrives after the first paint, as over a slow network
        route.continue_()

    page.route("**/assets/img/**", slow_image)
    page.add_init_script(SHIFTS)
    page.goto(site_url + "list.html", wait_until="domcontentloaded")
    page.wait_for_function("() => document.querySelector('.artwork img').complete", timeout=30_000)
    first = page.evaluate(FIRST_IMAGE)
    shifts = page.evaluate("window.__shifts")
    watched.assert_clean()
    page.context.close()
    return first, images, shifts


def test_a_phone_gets_the_first_works_thumbnail_without_a_layout_shift(browser, site_url):
    first, images, shifts = visit(browser, site_url, viewport={"width": 412, "height": 823}, device_scale_factor=1.75,
                                  is_mobile=True, has_touch=True)
    assert "-thumb." in first["src"], first
    assert first["height"] > 150, first
    assert not any("-thumb." not in name and name.startswith("starry-night") for name in images), images
    assert sum(shifts) < 0.01, shifts


def test_a_desktop_gets_the_full_image_and_no_thumbnail(browser, site_url):
    first, images, shifts = visit(browser, site_url, viewport={"width": 1280, "height": 800})
    assert "-thumb." not in first["src"] and "starry-night" in first["src"], first
    assert not any(name.startswith("starry-night-thumb") for name in images), images


LONG_WORDS = """() => {
  const word = 'https://example.org/' + 'unbroken'.repeat(12);
  document.querySelector('.list-header h1').textContent = word;
  for (const el of document.querySelectorAll('.plaque h2, .plaque .artist, .plaque .description, .plaque .credit'))
    el.textContent = word;
}"""


def test_long_unbroken_words_never_widen_the_list_past_a_narrow_screen(browser, site_url):
    watched = open_page(browser, viewport={"width": 320, "height": 640})
    page = watched.page
    page.goto(site_url + "list.html")
    page.evaluate(LONG_WORDS)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    watched.assert_clean()
    page.context.close()
    assert widths[0] <= widths[1], widths


def test_opened_from_a_file_its_links_open_the_artwork_pages_not_a_folder_listing(browser, built_site):
    """A double-click on build/list.html (the page the 3D gallery sends file:// visitors to): an artwork's
    link, art/<id>/, showed the browser's listing of that folder, since no host is there to answer with its
    index.html. It opens the artwork's page, which says how to see the 3D gallery."""
    watched = open_page(browser)
    page = watched.page
    try:
        page.goto((built_site / "list.html").as_uri())
        links = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
        assert not [href for href in links if href.startswith("file:") and href.endswith("/")], links
        page.click(".artwork .more a")
        page.wait_for_function("() => document.body.classList.contains('opened-from-file')", timeout=30_000)
        assert page.url.endswith("/index.html") and "/art/" in page.url, page.url
        assert "cannot open from a file" in page.inner_text("#loader-text")
    finally:
        page.context.close()
