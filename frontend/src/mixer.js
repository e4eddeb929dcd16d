// The Web Audio graph behind the deck's channels: the master level (volume, mute), spatial sound (each
// channel through a panner at its painting, the listener at the camera). Browsers only start it from a
// user gesture; until then, and where there is no Web Audio, each element's own volume does the work.
import { placeAt } from "./audio-channel.js";
import { state, update } from "./state.js";

// The visitor's volume and mute hold for the visit (the tab), across the artwork pages and the list view they
// open: a new page starting again at 80% was loud after a visitor had turned it down.
const SOUND = "imaudible.sound";

function remembered() {
  try {
    const { volume, muted } = JSON.parse(sessionStorage.getItem(SOUND)) || {};
    return Number.isFinite(volume) ? { volume: Math.min(1, Math.max(0, volume)), muted: muted === true } : {};
  } catch {
    return {}; // storage refused (a sandboxed frame) or damaged: the defaults
  }
}

function remember() {
  try {
    sessionStorage.setItem(SOUND, JSON.stringify({ volume: state.volume, muted: state.muted }));
  } catch {
    /* kept for this page only */
  }
}

export class Mixer {
  /** onSilenced(): the running graph was stopped from outside (a call, another app or tab took the sound) */
  constructor(channels, onSilenced = () => {}) {
    this.channels = channels;
    this.ctx = null;
    this.master = null;
    this.onSilenced = onSilenced;
    update(remembered());
  }

  /** Call from a user gesture: starts (or resumes) the Web Audio graph. */
  unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!this.ctx && Context) {
      try {
        this.ctx = new Context();
        this.master = this.ctx.createGain();
        this.master.connect(this.ctx.destination);
        this.#watch(this.ctx);
        for (const ch of this.channels) ch.connect(this.ctx, this.master);
        this.applyVolume();
      } catch {
        this.ctx = null; // element volume still works
        for (const ch of this.channels) Object.assign(ch, { ctx: null, gain: null, panner: null });
      }
    }
    if (this.ctx?.state === "suspended") this.ctx.resume().catch(() => {});
  }

  // A graph that stops running (iOS "interrupted", a suspend by the system) holds every element routed through
  // it at one spot, silent, while it still counts as playing.
  #watch(ctx) {
    let running = ctx.state === "running";
    ctx.addEventListener("statechange", () => {
      if (running && ctx.state !== "running") this.onSilenced();
      running = ctx.state === "running";
    });
  }

  applyVolume() {
    if (this.master) this.master.gain.value = state.muted ? 0 : state.volume;
    for (const ch of this.channels) ch.applyVolume();
  }

  setVolume(v) {
    update({ volume: Math.min(1, Math.max(0, v)), muted: v > 0 ? false : state.muted });
    this.applyVolume();
    remember();
  }

  setMuted(m) {
    update({ muted: m });
    this.applyVolume();
    remember();
  }

  setSpatial(on) {
    update({ spatial: on });
    for (const ch of this.channels) ch.route();
  }

  /** Move the listener with the camera (only matters with spatial sound on). */
  listen(position, forward) {
    if (!this.ctx || !state.spatial) return;
    const l = this.ctx.listener;
    placeAt(l, [position.x, position.y, position.z]);
    if (l.forwardX) {
      l.forwardX.value = forward.x;
      l.forwardY.value = forward.y;
      l.forwardZ.value = forward.z;
      l.upX.value = 0;
      l.upY.value = 1;
      l.upZ.value = 0;
    } else l.setOrientation(forward.x, forward.y, forward.z, 0, 1, 0);
  }
}
