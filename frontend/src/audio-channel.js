// One of the deck's two <audio> channels: its element and, once Web Audio runs, its gain (fades, volume)
// and panner (spatial sound). Without Web Audio the element's own volume fades.
import { state } from "./state.js";

/** Place a panner or the listener at [x, y, z] (older browsers only have setPosition). */
export function placeAt(node, [x, y, z]) {
  if (node.positionX) {
    node.positionX.value = x;
    node.positionY.value = y;
    node.positionZ.value = z;
  } else node.setPosition(x, y, z);
}

/** Whether the element can jump to `seconds` without fetching anything. */
function seekable(el, seconds) {
  for (let i = 0; i < el.seekable.length; i++) if (el.seekable.start(i) <= seconds && seconds <= el.seekable.end(i)) return true;
  return false;
}

export class AudioChannel {
  constructor(container, index) {
    this.el = document.createElement("audio");
    this.el.preload = "none";
    this.el.dataset.channel = String(index);
    container.append(this.el);
    this.ctx = null;
    this.gain = null;
    this.panner = null;
    this.level = 0; // the fade's position, 0..1
    this.aim = 0; // where the fade under way ends
    this.timer = 0;
    this.artId = null;
    this.tried = new Set(); // URLs of this piece that failed to load or decode
    this.copy = null; // a blob: URL of the whole file, where the host cannot send a part of it
    this.copying = null; // ...while it is fetched
  }

  /**
   * Jump to `seconds`. A host that ignores HTTP Range requests leaves a file unseekable (Chromium then jumps
   * to 0:00, whatever the visitor asked for): the file is fetched whole once and played from memory.
   */
  seekTo(seconds) {
    const el = this.el;
    this.wanted = seconds;
    if (this.copying) return;
    if (el.readyState < el.HAVE_METADATA || seconds === 0 || seekable(el, seconds)) {
      el.currentTime = seconds;
      return;
    }
    this.copying = this.#playFromCopy(el.currentSrc).finally(() => (this.copying = null));
  }

  async #playFromCopy(src) {
    let blob;
    try {
      const response = await fetch(src);
      if (!response.ok) return;
      blob = await response.blob();
    } catch {
      return; // the element keeps playing where it was
    }
    const el = this.el;
    if (el.currentSrc !== src) return; // another piece since
    const playing = !el.paused;
    this.forgetCopy();
    this.copy = el.src = URL.createObjectURL(blob);
    el.currentTime = this.wanted;
    if (playing) el.play().catch(() => {});
  }

  forgetCopy() {
    if (this.copy) URL.revokeObjectURL(this.copy);
    this.copy = null;
  }

  /** Route the element through Web Audio: element -> gain -> (panner ->) master. */
  connect(ctx, master) {
    this.ctx = ctx;
    this.master = master;
    const src = ctx.createMediaElementSource(this.el);
    this.gain = ctx.createGain();
    this.gain.gain.value = 0;
    this.panner = ctx.createPanner();
    Object.assign(this.panner, { panningModel: "equalpower", distanceModel: "inverse", refDistance: 2.5, rolloffFactor: 1.3 });
    src.connect(this.gain);
    this.panner.connect(master);
    this.route();
  }

  route() {
    if (!this.gain) return;
    this.gain.disconnect();
    this.gain.connect(state.spatial ? this.panner : this.master);
  }

  place(position) {
    if (this.panner && position) placeAt(this.panner, position);
  }

  /** Fade to `target` (0..1) over `seconds`, then call `then`. */
  fade(target, seconds, then) {
    clearInterval(this.timer);
    this.aim = target;
    if (this.gain) {
      const now = this.ctx.currentTime;
      const g = this.gain.gain;
      g.cancelScheduledValues(now);
      g.setValueAtTime(g.value, now);
      g.linearRampToValueAtTime(target, now + seconds);
      this.level = target;
      if (then) this.timer = setTimeout(then, seconds * 1000 + 30);
      return;
    }
    const steps = Math.max(1, Math.round(seconds * 20));
    const from = this.level;
    let k = 0;
    this.timer = setInterval(() => {
      this.level = from + ((target - from) * ++k) / steps;
      this.applyVolume();
      if (k >= steps) {
        clearInterval(this.timer);
        if (then) then();
      }
    }, 50);
  }

  /** Silence at once and forget any fade under way (before the channel takes a new piece). */
  silence() {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.el.pause();
    this.forgetCopy();
    this.level = this.aim = 0;
    if (this.gain) this.gain.gain.value = 0;
    this.applyVolume();
  }

  // With Web Audio the gain nodes fade and the master sets the volume (iOS ignores element.volume);
  // without it, the element's own volume does both.
  applyVolume() {
    this.el.volume = this.ctx ? 1 : Math.min(1, Math.max(0, this.level * state.volume));
    this.el.muted = !this.ctx && state.muted;
  }
}
