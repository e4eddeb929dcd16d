// The music: two <audio> channels that cross-fade (a new piece fades in while the last one fades out),
// routed through Web Audio for fades, volume and optional spatial sound. Files are fetched only when
// played (preload="none"). Browsers only start sound after a user gesture: the first play (a click, a
// tap, Enter, or the tour button) also starts the Web Audio context.
import { pickAudio } from "./data.js";
import { state, update } from "./state.js";

const FADE_IN = 0.9;
const FADE_OUT = 0.7;

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
    this.ctx = null;
    this.master = null;
    this.endedHandlers = new Set();
    this.channels = [0, 1].map((i) => this.#channel(container, i));
    this.current = null; // the channel that plays (or paused) the current piece
  }

  #channel(container, i) {
    const el = document.createElement("audio");
    el.preload = "none";
    el.dataset.channel = String(i);
    container.append(el);
    const ch = { el, gain: null, panner: null, level: 0, timer: 0, artId: null };
    el.addEventListener("ended", () => {
      if (this.current !== ch) return;
      update({ playingId: null, paused: true });
      for (const fn of this.endedHandlers) fn(ch.artId);
    });
    el.addEventListener("pause", () => this.current === ch && !el.ended && update({ paused: true }));
    el.addEventListener("playing", () => this.current === ch && update({ paused: false }));
    return ch;
  }

  onEnded(fn) {
    this.endedHandlers.add(fn);
  }

  /** Call from a user gesture: starts (or resumes) the Web Audio graph. */
  unlock() {
    if (!this.ctx && (window.AudioContext || window.webkitAudioContext)) {
      try {
        this.ctx = new (window.AudioContext || window.webkitAudioContext)();
        this.master = this.ctx.createGain();
        this.master.connect(this.ctx.destination);
        for (const ch of this.channels) {
          const src = this.ctx.createMediaElementSource(ch.el);
          ch.gain = this.ctx.createGain();
          ch.gain.gain.value = 0;
          ch.panner = this.ctx.createPanner();
          Object.assign(ch.panner, { panningModel: "equalpower", distanceModel: "inverse", refDistance: 2.5, rolloffFactor: 1.3 });
          src.connect(ch.gain);
          ch.panner.connect(this.master);
          this.#route(ch);
        }
        this.#applyVolume();
      } catch {
        this.ctx = null; // element volume still works
      }
    }
    if (this.ctx?.state === "suspended") this.ctx.resume().catch(() => {});
  }

  #route(ch) {
    if (!ch.gain) return;
    ch.gain.disconnect();
    ch.gain.connect(state.spatial ? ch.panner : this.master);
  }

  #fade(ch, target, seconds, then) {
    clearInterval(ch.timer);
    if (ch.gain) {
      const now = this.ctx.currentTime;
      const g = ch.gain.gain;
      g.cancelScheduledValues(now);
      g.setValueAtTime(g.value, now);
      g.linearRampToValueAtTime(target, now + seconds);
      ch.level = target;
      if (then) ch.timer = setTimeout(then, seconds * 1000 + 30);
      return;
    }
    const steps = Math.max(1, Math.round(seconds * 20));
    const from = ch.level;
    let k = 0;
    ch.timer = setInterval(() => {
      ch.level = from + ((target - from) * ++k) / steps;
      this.#elementVolume(ch);
      if (k >= steps) {
        clearInterval(ch.timer);
        if (then) then();
      }
    }, 50);
  }

  // With Web Audio the gain nodes fade and set the volume (iOS ignores element.volume); without it, the
  // element's own volume does both.
  #elementVolume(ch) {
    ch.el.volume = this.ctx ? 1 : Math.min(1, Math.max(0, ch.level * state.volume));
    ch.el.muted = !this.ctx && state.muted;
  }

  #applyVolume() {
    if (this.master) this.master.gain.value = state.muted ? 0 : state.volume;
    for (const ch of this.channels) this.#elementVolume(ch);
  }

  #start(ch) {
    const playing = ch.el.play();
    if (playing) {
      playing.catch((err) => {
        if (this.current !== ch || err.name === "AbortError") return;
        update({ paused: true, error: "The browser blocked playback: click or tap a painting to start its music." });
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
    clearTimeout(ch.timer);
    clearInterval(ch.timer);
    ch.el.pause();
    if (previous) this.#fade(previous, 0, FADE_OUT, () => previous.el.pause());
    ch.artId = id;
    ch.el.dataset.art = id;
    ch.el.src = this.resolve(rel);
    // Clips finished as seamless loops (audio.loop) repeat while the visitor stays, except on the
    // guided tour, which moves on when a piece ends.
    ch.el.loop = Boolean(art.audio.loop) && !state.touring;
    const pos = this.positions.get(id);
    if (ch.panner && pos) this.#place(ch.panner, pos);
    ch.level = 0;
    if (ch.gain) ch.gain.gain.value = 0;
    this.#elementVolume(ch);
    this.current = ch;
    update({ playingId: id, paused: false, error: null });
    this.#start(ch);
    this.#fade(ch, 1, FADE_IN);
    this.#mediaSession(art);
    return true;
  }

  pause() {
    const ch = this.current;
    if (!ch || ch.el.paused) return;
    this.#fade(ch, 0, 0.25, () => ch.el.pause());
    update({ paused: true });
  }

  resume() {
    const ch = this.current;
    if (!ch) return;
    this.unlock();
    if (ch.el.ended) ch.el.currentTime = 0;
    update({ playingId: ch.artId, paused: false });
    this.#start(ch);
    this.#fade(ch, 1, 0.4);
  }

  /** Play/pause button: toggles the current piece, or starts `fallbackId` when nothing was played yet. */
  toggle(fallbackId) {
    const ch = this.current;
    if (ch && !ch.el.paused && !ch.el.ended && state.playingId) return this.pause();
    if (ch && (!fallbackId || fallbackId === ch.artId)) return this.resume();
    if (fallbackId) this.play(fallbackId);
  }

  stop() {
    for (const ch of this.channels) this.#fade(ch, 0, FADE_OUT, () => ch.el.pause());
    update({ playingId: null, paused: true });
  }

  setVolume(v) {
    update({ volume: Math.min(1, Math.max(0, v)), muted: v > 0 ? false : state.muted });
    this.#applyVolume();
  }

  setMuted(m) {
    update({ muted: m });
    this.#applyVolume();
  }

  setSpatial(on) {
    update({ spatial: on });
    for (const ch of this.channels) this.#route(ch);
  }

  #place(node, [x, y, z]) {
    if (node.positionX) {
      node.positionX.value = x;
      node.positionY.value = y;
      node.positionZ.value = z;
    } else node.setPosition(x, y, z);
  }

  /** Move the listener with the camera (only matters with spatial sound on). */
  listen(position, forward) {
    if (!this.ctx || !state.spatial) return;
    const l = this.ctx.listener;
    if (l.positionX) {
      l.positionX.value = position.x;
      l.positionY.value = position.y;
      l.positionZ.value = position.z;
      l.forwardX.value = forward.x;
      l.forwardY.value = forward.y;
      l.forwardZ.value = forward.z;
      l.upX.value = 0;
      l.upY.value = 1;
      l.upZ.value = 0;
    } else {
      l.setPosition(position.x, position.y, position.z);
      l.setOrientation(forward.x, forward.y, forward.z, 0, 1, 0);
    }
  }

  #mediaSession(art) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    const thumb = art.images?.thumb;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: art.title,
      artist: art.artist || "",
      album: this.siteTitle || "",
      artwork: thumb ? [{ src: this.resolve(thumb.jpg || thumb.webp), sizes: `${thumb.width}x${thumb.height}` }] : [],
    });
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
    ch.el.currentTime = Math.max(0, Math.min(duration || seconds, seconds));
  }

  /** What each channel is doing (for tests and debugging). */
  describe() {
    return this.channels.map((c) => ({ art: c.artId, paused: c.el.paused, currentTime: c.el.currentTime, src: c.el.currentSrc }));
  }
}
