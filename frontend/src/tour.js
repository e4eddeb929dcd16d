// The guided tour: walk to each painting in visiting order, play its music to the end, move on.
import { state, update } from "./state.js";

const PAUSE_BETWEEN = 1200; // ms of quiet after a piece ends
const SILENT_DWELL = 8000; // ms in front of a painting that has no music

/** The work `delta` places from `id` in visiting order, round the end (from none: the first, or the last going back). */
export function neighbour(order, id, delta) {
  const i = order.indexOf(id);
  return order[i < 0 ? (delta > 0 ? 0 : order.length - 1) : (i + delta + order.length) % order.length];
}

export class Tour {
  /** order: ids in visiting order; goTo(id) -> Promise<arrived>; deck: AudioDeck; durations: id -> seconds */
  constructor({ order, goTo, deck, durations, announce }) {
    this.order = order;
    this.goTo = goTo;
    this.deck = deck;
    this.durations = durations;
    this.announce = announce;
    this.run = 0; // bumps on every start/stop so stale timers do nothing
    this.timer = 0;
    deck.onEnded((id) => {
      if (state.touring && !state.tourPaused && id === this.stopId) this.#later(PAUSE_BETWEEN, this.index + 1);
    });
  }

  toggle() {
    if (state.touring) this.stop("Tour stopped.");
    else this.start();
  }

  /** Start at work `id` (default: the painting in focus, or the first); call from a user gesture so the music may start. */
  start(id = state.focusedId) {
    const i = Math.max(0, this.order.indexOf(id));
    this.deck.unlock();
    update({ touring: true, tourPaused: false, tour: { at: i + 1, of: this.order.length } });
    this.announce("Guided tour started. Press T or Escape to stop it.");
    this.#visit(i, ++this.run);
  }

  stop(message) {
    if (!state.touring) return;
    this.run++;
    clearTimeout(this.timer);
    update({ touring: false, tourPaused: false });
    if (message) this.announce(message);
  }

  /** Hold the tour where it is (the music pauses too); `resume` goes on from there. */
  pause() {
    if (!state.touring || state.tourPaused) return;
    this.run++;
    clearTimeout(this.timer);
    this.deck.pause();
    update({ tourPaused: true });
    this.announce(`Tour paused at ${this.index + 1} of ${this.order.length}.`);
  }

  resume() {
    if (!state.touring || !state.tourPaused) return;
    const run = ++this.run;
    update({ tourPaused: false });
    const id = this.order[this.index];
    const { time, duration } = this.deck.position();
    if (state.playingId === id && time < duration) {
      this.deck.resume();
      this.#later((duration - time) * 1000 + 4000, this.index + 1);
    } else this.#visit(this.index, run);
  }

  togglePause() {
    if (state.tourPaused) this.resume();
    else this.pause();
  }

  #later(ms, index) {
    const run = this.run;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => run === this.run && this.#visit(index, run), ms);
  }

  async #visit(index, run) {
    if (index >= this.order.length) {
      this.stop("The tour is over. Thank you for visiting.");
      return;
    }
    this.index = index;
    update({ tour: { at: index + 1, of: this.order.length } });
    const id = this.order[index];
    this.stopId = id;
    const arrived = await this.goTo(id);
    if (!arrived || run !== this.run) return;
    if (this.deck.play(id)) {
      // Move on even if the "ended" event never comes (a stalled network, a blocked play).
      const seconds = this.durations.get(id) || 30;
      this.#later(seconds * 1000 + 4000, index + 1);
    } else this.#later(SILENT_DWELL, index + 1);
  }
}
