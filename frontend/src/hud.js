// The HTML layer over the 3D view: the loading indicator, hints and errors, the screen-reader announcer,
// and the parts it is made of (plaque panel, player bar, top bar). It renders each state change into the
// part that shows it.
import { watchConnection } from "./connection.js";
import { $, onClick, setText } from "./dom.js";
import { PlaquePanel } from "./plaque-panel.js";
import { PlayerBar } from "./player-bar.js";
import { state, onChange } from "./state.js";
import { TopBar } from "./top-bar.js";

export class Hud {
  /**
   * actions: next, prev, togglePlay(id?), playNext, seek(fraction), position(), mute, volume(v), spatial(on),
   * tour, tourPause, share, closeUp, escape, zoomIn, zoomOut
   */
  constructor({ byId, resolve, actions, touch }) {
    this.byId = byId;
    this.plaque = new PlaquePanel({ byId, resolve, actions });
    this.player = new PlayerBar({ byId, actions });
    this.topBar = new TopBar({ actions, hint: (text) => this.hint(text) });
    onClick("prev-button", () => actions.prev());
    onClick("next-button", () => actions.next());
    document.body.classList.toggle("touch", Boolean(touch));
    this.counted = [0, 0]; // the loader's last count of paintings hung: [done, total]
    onChange((keys) => this.render(keys));
    this.render(Object.keys(state));
    watchConnection();
  }

  setTouch(on) {
    document.body.classList.toggle("touch", on);
    const stick = $("joystick");
    if (stick) stick.hidden = !on;
  }

  progress(done, total) {
    this.counted = [done, total];
    if (state.error && !state.ready) return; // the loader says what went wrong (error())
    const bar = $("loader-progress");
    // Until there is something to count the bar has no value: it shows work under way, not a stall at 0.
    if (bar && total) {
      bar.max = total;
      bar.value = done;
    } else bar?.removeAttribute("value");
    setText("loader-text", total ? `Hanging the paintings… ${done} of ${total}` : "Building the rooms…");
  }

  announce(text) {
    const el = $("announcer");
    if (!el) return;
    el.textContent = "";
    // A fresh text node makes screen readers speak even when the text repeats.
    setTimeout(() => (el.textContent = text), 30);
  }

  toggleHelp(open) {
    this.topBar.toggleHelp(open);
  }

  welcome() {
    return document.body.classList.contains("touch")
      ? "Drag to look around · walk with the joystick or tap the floor · tap a painting to hear its music"
      : "Click the view to look around (Esc frees the mouse) · W A S D or arrows walk · N / P next or previous painting · Enter plays · T guided tour";
  }

  /** Show a hint for 9 s (or, with hold, until the next one). */
  hint(text, { hold = false } = {}) {
    setText("hint", text);
    clearTimeout(this.hintTimer);
    if (text && !hold) this.hintTimer = setTimeout(() => setText("hint", ""), 9000);
  }

  // Before the first view the loader says what went wrong instead of counting on, and the error line (an
  // alert) stays empty: both at once made a screen reader say the error twice. It takes the error at the view.
  error() {
    setText("error-line", state.ready ? state.error : "");
    if (state.ready) return;
    document.body.classList.toggle("failed", Boolean(state.error));
    // The loader, a live region, is busy while it counts paintings (one "N of M" spoken each would drown the
    // page), and speaks only when it has something to say: an error.
    $("loader")?.setAttribute("aria-busy", String(!state.error));
    if (state.error) setText("loader-text", state.error);
    else this.progress(...this.counted);
  }

  render(keys) {
    const has = (k) => keys.includes(k);
    if (has("ready")) {
      const loader = $("loader");
      if (loader) loader.hidden = state.ready;
      document.body.classList.toggle("ready", state.ready);
      if (state.ready && state.error && !has("error")) this.error();
    }
    if (has("focusedId")) this.plaque.show(this.byId.get(state.focusedId));
    if (has("playingId") || has("paused") || has("buffering") || has("focusedId")) {
      const { playing, current } = this.player.show();
      this.plaque.relate(playing, current);
    }
    if (has("muted") || has("volume")) this.player.sound();
    if (has("spatial")) this.player.spatial();
    if (has("touring") || has("tour") || has("tourPaused")) this.topBar.tour(keys);
    if (has("error")) this.error();
    if (has("closeUp")) this.topBar.closeUp();
    if (has("closeUp") || has("closeUpSharp") || has("closeUpBlurred")) this.topBar.closeUpDetail();
  }
}
