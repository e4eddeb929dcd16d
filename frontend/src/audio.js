// The music: two <audio> channels (audio-channel.js) that cross-fade (a new piece fades in while the last
// one fades out), routed through Web Audio (mixer.js) for fades, volume and optional spatial sound. Files
// are fetched only when played (preload="none"). Browsers only start sound after a user gesture: the first
// play (a click, a tap, Enter, or the tour button) also starts the Web Audio context. Until a file has sent
// enough to play, state.buffering says so: the player says "Loading", not "Now playing" at 0:00 on a slow network.
import { AudioChannel } from "./audio-channel.js";
import { sayIfMusicMoved } from "./chunks.js";
import { audioFiles, audioProblem, pickAudio } from "./data.js";
import { Mixer } from "./mixer.js";
import { state, update } from "./state.js";

const FADE_IN = 0.9;
const FADE_OUT = 0.7;
const BLOCKED = "The browser blocked playback: click or tap a painting to start its music.";

function showInMediaSession(art, album, resolve) {
  if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
  const thumb = art.images?.thumb;
  navigator.mediaSession.metadata = new MediaMetadata({
    title: art.title,
    artist: art.artist || "",
    album: album || "",
    artwork: thumb ? [{ src: resolve(thumb.jpg || thumb.webp), sizes: `${thumb.width}x${thumb.height}` }] : [],
  });
}

/** The system's next and previous track (a lock screen, a headset, media keys) step through the show as the
 * player's Play next does: the piece plays and the visitor walks to its painting. */
export function offerTrackControls(next, previous) {
  if (!("mediaSession" in navigator)) return;
  for (const [action, handler] of [["nexttrack", next], ["previoustrack", previous]]) {
    try {
      navigator.mediaSession.setActionHandler(action, handler);
    } catch {
      // an action this browser does not know
    }
  }
}

export class AudioDeck {
  /**
   * @param artworks site-data artworks; @param resolve relative URL -> absolute; @param container element
   * the <audio> elements live in; @param positions id -> [x, y, z] of the painting (spatial sound)
   */
  constructor({ artworks, resolve, container, positions, siteTitle }) {
    this.byId = new Map(artworks.map((a) => [a.id, a]));
    this.resolve = resolve;
    this.positions = positions;
    this.siteTitle = siteTitle;
    this.endedHandlers = new Set();
    this.channels = [0, 1].map((i) => this.#listen(new AudioChannel(container, i)));
    // Volume, mute, spatial sound. Sound stopped from outside leaves the piece paused, as the player then says.
    this.mixer = new Mixer(this.channels, () => this.current && !this.current.el.paused && this.current.el.pause());
    this.current = null; // the channel that plays (or paused) the current piece
  }

  #listen(ch) {
    const el = ch.el;
    el.addEventListener("ended", () => {
      if (this.current !== ch) return;
      update({ playingId: null, paused: true, buffering: false });
      for (const fn of this.endedHandlers) fn(ch.artId);
    });
    el.addEventListener("pause", () => this.current === ch && !el.ended && update({ paused: true, buffering: false }));
    // Played from outside the deck (the system's media controls, a headset's button, the lock screen): the element
    // resumes on its own, its channel faded to silence by a pause, or on an audio graph the system stopped.
    el.addEventListener("play", () => this.current === ch && (this.unlock(), ch.aim === 0 && ch.fade(1, 0.4)));
    // Once the piece plays (Play pressed after a blocked start), the line that said it was blocked goes.
    el.addEventListener("playing", () => this.current === ch &&
      update({ paused: false, buffering: false, ...(state.error === BLOCKED && { error: null }) }));
    el.addEventListener("waiting", () => this.current === ch && !el.paused && update({ buffering: true }));
    el.addEventListener("error", () => el.error && this.#failed(ch, el.src));
    return ch;
  }

  // A missing or undecodable file: try the other format, then say so and let the tour move on.
  #failed(ch, src) {
    if (this.current !== ch || ch.el.src !== src || ch.tried.has(src)) return;
    ch.tried.add(src);
    const art = this.byId.get(ch.artId);
    const other = audioFiles(art, ch.el).map(this.resolve).find((url) => !ch.tried.has(url));
    if (other) {
      ch.el.src = other;
      this.#start(ch);
      return;
    }
    update({ playingId: null, paused: true, buffering: false, error: audioProblem(art, ch.el) });
    for (const fn of this.endedHandlers) fn(ch.artId);
    sayIfMusicMoved(art, this.resolve, state.error);
  }

  onEnded(fn) { this.endedHandlers.add(fn); }

  /** Call from a user gesture: starts (or resumes) the Web Audio graph. */
  unlock() { this.mixer.unlock(); }

  #start(ch) {
    const src = ch.el.src;
    const playing = ch.el.play();
    if (playing) {
      playing.catch((err) => {
        if (this.current !== ch || err.name === "AbortError") return;
        if (err.name !== "NotAllowedError") return this.#failed(ch, src);
        update({ paused: true, buffering: false, error: BLOCKED });
      });
    }
  }

  /** Play artwork `id`'s music, fading out whatever played before. */
  play(id) {
    const art = this.byId.get(id);
    const rel = art && pickAudio(art, this.channels[0].el);
    if (!rel) return false;
    this.unlock();
    if (this.current && this.current.artId === id) {
      if (this.current.el.paused) this.resume();
      return true;
    }
    const previous = this.current;
    const ch = this.channels.find((c) => c !== previous);
    ch.silence();
    if (previous) previous.fade(0, FADE_OUT, () => previous.el.pause());
    ch.artId = id;
    ch.el.dataset.art = id;
    ch.tried = new Set();
    ch.el.src = this.resolve(rel);
    // Clips finished as seamless loops (audio.loop) repeat while the visitor stays, except on the
    // guided tour, which moves on when a piece ends.
    ch.el.loop = Boolean(art.audio.loop) && !state.touring;
    ch.place(this.positions.get(id));
    this.current = ch;
    update({ playingId: id, paused: false, buffering: true, error: null });
    this.#start(ch);
    ch.fade(1, FADE_IN);
    showInMediaSession(art, this.siteTitle, this.resolve);
    return true;
  }

  pause() {
    const ch = this.current;
    if (!ch || ch.el.paused) return;
    ch.fade(0, 0.25, () => ch.el.pause());
    update({ paused: true, buffering: false });
  }

  resume() {
    const ch = this.current;
    if (!ch) return;
    if (ch.el.error || ch.el.networkState === ch.el.NETWORK_NO_SOURCE) {
      this.current = null;
      return this.play(ch.artId);
    }
    this.unlock();
    if (ch.el.ended) ch.el.currentTime = 0;
    update({ playingId: ch.artId, paused: false, buffering: ch.el.readyState < ch.el.HAVE_FUTURE_DATA });
    this.#start(ch);
    ch.fade(1, 0.4);
  }

  /** Play/pause button: toggles the current piece, or starts `fallbackId` when nothing was played yet. */
  toggle(fallbackId) {
    const ch = this.current;
    if (ch && !ch.el.paused && !ch.el.ended && state.playingId) return this.pause();
    if (ch && (!fallbackId || fallbackId === ch.artId)) return this.resume();
    if (fallbackId) this.play(fallbackId);
  }

  /** The current piece's position: {time, duration} in seconds (duration from the site data until known). */
  position() {
    const ch = this.current;
    if (!ch) return { time: 0, duration: 0 };
    const known = Number.isFinite(ch.el.duration) ? ch.el.duration : this.byId.get(ch.artId)?.audio?.duration || 0;
    return { time: ch.el.currentTime || 0, duration: known };
  }

  /** Jump to `seconds` in the current piece. */
  seek(seconds) {
    const ch = this.current;
    if (!ch) return;
    const { duration } = this.position();
    ch.seekTo(Math.max(0, Math.min(duration || seconds, seconds)));
  }

  /** What each channel is doing (for tests and debugging). */
  describe() {
    return this.channels.map((c) => ({ art: c.artId, paused: c.el.paused, currentTime: c.el.currentTime, src: c.el.currentSrc }));
  }
}
