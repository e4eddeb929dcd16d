"""Music started or stopped from outside the page's own buttons: the system's media controls, a headset's
button or the lock screen play and pause the <audio> element itself, behind the deck's back; a start the browser
blocked; and the player's Play button pressed before any painting was chosen."""
from __future__ import annotations

import pytest

from .test_phone_visit import KEEP_AUDIO_CONTEXTS
from .visit import WAIT, play_first, site_data, wait_ready

pytestmark = pytest.mark.browser

# Every gain node the page makes, in order: the mixer's master first, then one per channel (audio-channel.js).
KEEP_GAINS = """(() => {
  const make = AudioContext.prototype.createGain;
  window.gains = [];
  AudioContext.prototype.createGain = function () { const node = make.call(this); window.gains.push(node); return node; };
})()"""

CHANNEL_GAIN = "sel => window.gains[1 + Number(document.querySelector(sel).dataset.channel)].gain.value"


def test_music_the_system_resumes_after_a_pause_is_heard(watched, site_url, built_site):
    """Paused with the player's button (a fade to silence), then resumed by the system's media controls: the
    element played on at a gain of 0, silent, while the player said "Now playing". And where the system had
    stopped the audio graph (a call), the element resumed on a stopped graph: held at one spot, silent."""
    page = watched.page
    page.add_init_script(KEEP_AUDIO_CONTEXTS)
    page.add_init_script(KEEP_GAINS)
    audio = play_first(page, site_url, built_site)
    page.click("#play-toggle")
    page.wait_for_function("sel => document.querySelector(sel).paused", arg=audio, timeout=WAIT)
    assert page.evaluate(CHANNEL_GAIN, audio) == 0

    page.evaluate("sel => document.querySelector(sel).play()", audio)  # what a media key's default action does
    page.wait_for_function(f"sel => ({CHANNEL_GAIN})(sel) > 0.5", arg=audio, timeout=WAIT)
    assert page.evaluate("window.imaudible.state.paused") is False
    assert page.inner_text("#now-playing").startswith("Now playing")

    page.evaluate("window.audioContexts[0].suspend()")  # the system takes the sound: the deck pauses the piece
    page.wait_for_function("() => window.imaudible.state.paused", timeout=WAIT)
    held = page.evaluate("sel => document.querySelector(sel).currentTime", audio)
    page.evaluate("sel => document.querySelector(sel).play()", audio)
    page.wait_for_function("([sel, t]) => document.querySelector(sel).currentTime > t + 0.3", arg=[audio, held],
                           timeout=WAIT)
    assert page.evaluate("window.audioContexts[0].state") == "running"
    watched.assert_clean()


def test_play_pressed_before_any_painting_was_chosen_plays_the_first(watched, site_url):
    """At the entrance, looking at no painting, the player's Play button did nothing at all."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.evaluate("window.imaudible.debug.place({x: 0, z: 0, yaw: 0, pitch: -1.2})")  # at the floor
    assert page.evaluate("window.imaudible.state.focusedId") is None
    page.click("#play-toggle")
    first = page.evaluate("window.imaudible.order[0]")
    page.wait_for_function("id => window.imaudible.state.playingId === id && window.imaudible.state.focusedId === id",
                           arg=first, timeout=WAIT)
    page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).currentTime > 0.3",
                           arg=first, timeout=WAIT)
    watched.assert_clean()


# A browser that refuses a start no gesture made (Safari, for an element no tap has played yet): the first
# play() of the page is rejected as it rejects one.
REFUSE_FIRST_PLAY = """(() => {
  const play = HTMLMediaElement.prototype.play;
  let refused = false;
  HTMLMediaElement.prototype.play = function () {
    if (refused) return play.call(this);
    refused = true;
    return Promise.reject(new DOMException('play() can only be initiated by a user gesture.', 'NotAllowedError'));
  };
})()"""


def test_the_blocked_playback_line_goes_once_the_visitor_starts_the_music(watched, site_url, built_site):
    """A start the browser blocked said so on the error line; the visitor pressed Play, the music played, and the
    line went on saying playback was blocked until another piece was chosen."""
    page = watched.page
    page.add_init_script(REFUSE_FIRST_PLAY)
    page.goto(site_url + "index.html")
    wait_ready(page)
    art = site_data(built_site)["artworks"][0]["id"]
    page.evaluate("id => window.imaudible.play(id)", art)
    page.wait_for_function("() => (window.imaudible.state.error || '').includes('blocked')", timeout=WAIT)
    assert page.locator("#error-line").is_visible()
    page.click("#play-toggle")
    page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).currentTime > 0.3", arg=art,
                           timeout=WAIT)
    page.wait_for_function("() => !window.imaudible.state.error", timeout=WAIT)
    assert page.locator("#error-line").is_hidden()
    assert page.inner_text("#now-playing").startswith("Now playing")
    watched.assert_clean()


# The handlers the page gives the system's media controls (a lock screen, a headset, media keys), kept to be
# called as the system calls them.
KEEP_TRACK_ACTIONS = """(() => {
  window.trackActions = {};
  const set = MediaSession.prototype.setActionHandler;
  MediaSession.prototype.setActionHandler = function (action, handler) {
    window.trackActions[action] = handler;
    return set.call(this, action, handler);
  };
})()"""


def test_the_systems_next_and_previous_track_step_through_the_show(watched, site_url, built_site):
    """A lock screen's or a headset's next and previous track did nothing: the page gave them no handler. They
    now play the next or previous work in visiting order (round the end) and walk to it, and the lock screen
    names the work that plays."""
    page = watched.page
    page.add_init_script(KEEP_TRACK_ACTIONS)
    page.goto(site_url + "index.html")
    wait_ready(page)
    order = page.evaluate("window.imaudible.order")
    titles = {a["id"]: a["title"] for a in site_data(built_site)["artworks"]}
    assert len(order) >= 2 and set(page.evaluate("Object.keys(window.trackActions)")) >= {"nexttrack", "previoustrack"}
    page.evaluate("id => window.imaudible.play(id)", order[0])
    for action, expected in (("nexttrack", order[1]), ("previoustrack", order[0]), ("previoustrack", order[-1])):
        page.evaluate("a => window.trackActions[a]({ action: a })", action)
        page.wait_for_function("id => window.imaudible.state.playingId === id && window.imaudible.state.focusedId === id",
                               arg=expected, timeout=WAIT)
        page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).currentTime > 0.2",
                               arg=expected, timeout=WAIT)
        assert page.evaluate("navigator.mediaSession.metadata.title") == titles[expected]
    watched.assert_clean()
