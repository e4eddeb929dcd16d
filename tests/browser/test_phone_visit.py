"""A visitor on a phone: two fingers on the screen, the phone turned with a painting in close-up, and the sound
taken away by something else on the device (a call, another app or tab), in real headless Chromium."""
from __future__ import annotations

import pytest

from .conftest import open_page
from .visit import WAIT, aim, play_first, settle, site_data, wait_ready

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}


@pytest.fixture
def phone(browser):
    w = open_page(browser, **PHONE)
    yield w
    w.page.context.close()


def centre(box: dict) -> tuple[float, float]:
    return (box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2


def pinch(page, anchor, start, end, steps=8):
    """A pinch with one finger held still at `anchor` (a thumb) and the other moving from `start` to `end`;
    the moving finger lifts first."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            {"x": x, "y": y, "id": i} for i, (x, y) in points]})

    touch("touchStart", [(0, start)])
    touch("touchStart", [(0, start), (1, anchor)])
    for k in range(1, steps + 1):
        at = (start[0] + (end[0] - start[0]) * k / steps, start[1] + (end[1] - start[1]) * k / steps)
        touch("touchMove", [(0, at), (1, anchor)])
        page.wait_for_timeout(30)
    touch("touchEnd", [(1, anchor)])
    touch("touchEnd", [])
    cdp.detach()


def open_close_up(page, art_id: str):
    aim(page, art_id)
    x, y = centre(page.evaluate("id => window.imaudible.debug.bounds(id)", art_id))
    if page.evaluate("window.imaudible.state.playingId") != art_id:  # a first tap plays, the next looks closer
        page.touchscreen.tap(x, y)
        page.wait_for_function("id => window.imaudible.state.playingId === id", arg=art_id, timeout=WAIT)
    page.touchscreen.tap(x, y)
    page.wait_for_function("() => window.imaudible.state.closeUpReady", timeout=WAIT)
    settle(page)


def test_two_fingers_pinch_and_are_never_a_tap(phone, site_url, built_site):
    """The finger held still during a pinch was taken for a tap when it lifted: in the room it started the music
    of the painting under it, and in the close-up it stepped back out, ending the zoom it was making."""
    page = phone.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    art = site_data(built_site)["artworks"][0]["id"]
    aim(page, art)
    x, y = centre(page.evaluate("id => window.imaudible.debug.bounds(id)", art))
    view = page.evaluate("window.imaudible.debug.view()")
    pinch(page, anchor=(x, y), start=(x + 40, y + 60), end=(x + 120, y + 160))
    page.wait_for_timeout(800)
    assert page.evaluate("window.imaudible.state.playingId") is None
    assert page.evaluate("window.imaudible.debug.view()") == pytest.approx(view), "two fingers turned the view"

    open_close_up(page, art)
    pinch(page, anchor=(x - 40, y), start=(x + 20, y), end=(x + 150, y + 20))
    page.wait_for_timeout(800)
    assert page.evaluate("window.imaudible.state.closeUp") == art, "the pinch stepped out of the close-up"
    assert page.evaluate("window.imaudible.state.zoom") > 1.5
    # One finger still taps: beside the painting it steps back.
    page.touchscreen.tap(10, 200)
    page.wait_for_function("() => !window.imaudible.state.closeUp", timeout=WAIT)
    phone.assert_clean()


def test_a_phone_turned_during_a_close_up_fills_the_view_again_and_steps_back_to_a_framing(phone, site_url, built_site):
    """The close-up kept the distance worked out for the screen it was opened on: turned sideways, the painting
    took a third of the height it had room for, and "Back" returned to a spot framed for the upright screen."""
    page = phone.page
    art = site_data(built_site)["artworks"][0]["id"]
    page.set_viewport_size({"width": 844, "height": 390})
    page.goto(site_url + "index.html")
    wait_ready(page)
    open_close_up(page, art)
    landscape = page.evaluate("id => window.imaudible.debug.bounds(id)", art)
    page.evaluate("() => document.getElementById('closeup-back').click()")
    page.wait_for_function("() => !window.imaudible.state.closeUp", timeout=WAIT)

    page.set_viewport_size(PHONE["viewport"])
    page.wait_for_timeout(1000)
    open_close_up(page, art)
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_timeout(1000)  # the panels' own resizes, each framing again
    settle(page)
    turned = page.evaluate("id => window.imaudible.debug.bounds(id)", art)
    assert turned == pytest.approx(landscape, abs=4), (turned, landscape)

    page.evaluate("() => document.getElementById('closeup-back').click()")
    page.wait_for_function("() => !window.imaudible.state.closeUp", timeout=WAIT)
    page.wait_for_timeout(1000)
    settle(page)
    back = page.evaluate("id => window.imaudible.debug.bounds(id)", art)
    aim(page, art)
    assert back == pytest.approx(page.evaluate("id => window.imaudible.debug.bounds(id)", art), abs=4)
    phone.assert_clean()


# Every AudioContext the page makes, so a test can stop one as the system does when a call comes in.
KEEP_AUDIO_CONTEXTS = """(() => {
  const Made = window.AudioContext;
  window.audioContexts = [];
  window.AudioContext = class extends Made { constructor(...args) { super(...args); window.audioContexts.push(this); } };
})()"""


def test_sound_taken_by_the_system_shows_the_piece_paused_and_play_resumes_it(phone, site_url, built_site):
    """A suspended audio graph holds the music silent where it was, while the player went on saying "Now
    playing" and offering "Pause": the visitor had to press it, then "Play", to hear anything again."""
    page = phone.page
    page.add_init_script(KEEP_AUDIO_CONTEXTS)
    audio = play_first(page, site_url, built_site)
    page.evaluate("window.audioContexts[0].suspend()")
    page.wait_for_function("() => window.imaudible.state.paused", timeout=WAIT)
    assert page.inner_text("#now-playing").startswith("Paused")
    assert page.inner_text("#play-toggle") == "Play"
    held = page.evaluate("sel => document.querySelector(sel).currentTime", audio)
    page.click("#play-toggle")
    page.wait_for_function("([sel, t]) => document.querySelector(sel).currentTime > t + 0.3", arg=[audio, held],
                           timeout=WAIT)
    assert page.inner_text("#now-playing").startswith("Now playing")
    phone.assert_clean()


# A hidden tab as browsers make one (headless Chromium keeps drawing a tab it shows nowhere): the document says it
# is hidden, and no animation frame comes until it is shown again.
HIDDEN_TAB = """(() => {
  const held = [], frame = window.requestAnimationFrame.bind(window);
  let hidden = false;
  Object.defineProperty(document, 'hidden', { get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
  window.requestAnimationFrame = (fn) => (hidden ? held.push(fn) : frame(fn));
  window.setTabHidden = (on) => {
    hidden = on;
    document.dispatchEvent(new Event('visibilitychange'));
    if (!on) held.splice(0).forEach((fn) => frame(fn));
  };
})()"""


def test_a_tour_heard_with_the_screen_off_goes_on_to_the_next_piece(phone, site_url, built_site):
    """The tour walks to the next work before playing it, and that glide moved only with the frames a hidden
    page never gets: with the screen locked (or another tab in front) the tour fell silent after one piece."""
    page = phone.page
    page.add_init_script(HIDDEN_TAB)
    last, after = [a["id"] for a in site_data(built_site)["artworks"][-2:]]  # the two short pieces
    page.goto(site_url + f"index.html#{last}")
    wait_ready(page)
    page.evaluate("id => window.imaudible.tour.start(id)", last)
    page.wait_for_function("id => window.imaudible.state.playingId === id && !window.imaudible.state.paused",
                           arg=last, timeout=WAIT)
    page.evaluate("setTabHidden(true)")
    page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`)?.currentTime > 0.3",
                           arg=after, timeout=WAIT, polling=250)  # Playwright's own polling waits on frames
    page.evaluate("setTabHidden(false)")
    settle(page)
    assert page.evaluate("window.imaudible.debug.facing()") == after
    phone.assert_clean()


STALLED_MS = 1500  # frontend/src/visitor.js: a glide no frame has moved for this long ends where it was going
STALL_MARGIN_MS = 400  # timers in a shown page, on two busy cores

# Goes to painting `id`, hides the page two frames into the glide and waits for the glide to end without frames;
# how long that was after the last frame, and whether it was still under way when the frames stopped.
GLIDE_STALLED = """async (id) => {
  let lastFrame = performance.now();
  const tick = () => { lastFrame = performance.now(); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.imaudible.goTo(id);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  setTabHidden(true);
  const underWay = window.imaudible.state.navigating;
  while (window.imaudible.state.navigating) await new Promise((r) => setTimeout(r, 10));
  return { underWay, endedAfter: performance.now() - lastFrame };
}"""


def test_a_glide_the_frames_stopped_ends_soon_after_its_last_frame(phone, site_url, built_site):
    """A glide that no frame had moved on for 1.5 s was to end where it was going, but the watch compared with
    what it had seen 1.5 s before: it ended up to 3 s after the last frame, and a tour behind a locked screen
    waited that long before the next piece."""
    page = phone.page
    page.add_init_script(HIDDEN_TAB)
    first, last = [a["id"] for a in site_data(built_site)["artworks"][::3]]  # the two rooms' far ends
    page.goto(site_url + f"index.html#{first}")
    wait_ready(page)
    settle(page)
    glide = page.evaluate(GLIDE_STALLED, last)
    assert glide["underWay"], "the glide had ended before the frames stopped: nothing stalled"
    assert glide["endedAfter"] <= STALLED_MS + STALL_MARGIN_MS, glide
    page.evaluate("setTabHidden(false)")
    settle(page)
    assert page.evaluate("window.imaudible.debug.facing()") == last
    phone.assert_clean()
