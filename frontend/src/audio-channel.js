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
    this.timer = 0;
    this.artId = null;
    this.tried = new Set(); // URLs of this piece that failed to load or decode
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
    this.level = 0;
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
