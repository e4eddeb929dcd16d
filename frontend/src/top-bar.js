// The top bar and the bars that come and go over the view: guided tour (with its progress and pause),
// help dialog, full screen, and the close-up's back and zoom buttons.
import { $, onClick, setPressed, setText } from "./dom.js";
import { state, update } from "./state.js";

export class TopBar {
  /** actions: tour(), tourPause(), escape(), zoomIn(), zoomOut(); hint(text): a line that goes by itself */
  constructor({ actions, hint }) {
    this.hint = hint;
    onClick("tour-button", () => actions.tour());
    onClick("tour-pause", () => actions.tourPause());
    onClick("help-button", () => this.toggleHelp());
    onClick("help-close", () => this.toggleHelp(false));
    onClick("closeup-back", () => actions.escape());
    onClick("closeup-in", () => actions.zoomIn());
    onClick("closeup-out", () => actions.zoomOut());
    $("help")?.addEventListener("close", () => $("help-button")?.setAttribute("aria-expanded", "false"));
    this.#fullscreen();
    this.#publishHeights();
    this.#markClippedEnds();
  }

  // On a phone the nav is a strip that scrolls sideways: an end with more buttons past it fades out (CSS, by
  // data-more), so a visitor sees there is more to reach.
  #markClippedEnds() {
    const nav = document.querySelector(".topnav");
    if (!nav) return;
    const mark = () => {
      const start = nav.scrollLeft > 1;
      const end = nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1;
      nav.dataset.more = [start && "start", end && "end"].filter(Boolean).join(" ");
    };
    nav.addEventListener("scroll", mark, { passive: true });
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(mark);   // the nav, and each button (one shown later widens the strip)
      for (const el of [nav, ...nav.children]) observer.observe(el);
    }
    mark();
  }

  // The panels start where the top bar ends and stop where the player begins, however tall a long title,
  // a wrapped status line or a narrow screen makes either (--topbar-height, --player-height in the CSS).
  #publishHeights() {
    if (!window.ResizeObserver) return;
    const root = document.documentElement.style;
    for (const [selector, name] of [[".topbar", "--topbar-height"], ["#player", "--player-height"]]) {
      const el = document.querySelector(selector);
      if (!el) continue;
      new ResizeObserver(() => root.setProperty(name, `${Math.ceil(el.getBoundingClientRect().height)}px`)).observe(el);
    }
  }

  toggleHelp(open) {
    const dlg = $("help");
    if (!dlg) return;
    const show = open ?? !dlg.open;
    if (show && !dlg.open) dlg.showModal ? dlg.showModal() : dlg.setAttribute("open", "");
    if (!show && dlg.open) dlg.close ? dlg.close() : dlg.removeAttribute("open");
    $("help-button")?.setAttribute("aria-expanded", String(show));
  }

  tour(keys) {
    if (keys.includes("touring")) setPressed("tour-button", state.touring, state.touring ? "Stop tour" : "Guided tour");
    const bar = $("tour-bar");
    if (bar) bar.hidden = !state.touring;
    document.body.classList.toggle("touring", state.touring);
    setText("tour-progress", state.touring ? `Tour: ${state.tour.at} of ${state.tour.of}${state.tourPaused ? " · paused" : ""}` : "");
    const pause = $("tour-pause");
    if (pause) pause.textContent = state.tourPaused ? "Resume tour" : "Pause tour";
  }

  closeUp() {
    const bar = $("closeup-bar");
    if (!bar) return;
    // Hiding the focused Back button would drop keyboard focus to the page's start: hand it to the view.
    if (!state.closeUp && bar.contains(document.activeElement)) $("gallery-canvas")?.focus({ preventScroll: true });
    bar.hidden = !state.closeUp;
    if (state.closeUp) $("closeup-back")?.focus({ preventScroll: true });
  }

  /** Whether the close-up shows the painting at full size yet (on a slow network it enlarges a smaller one). */
  closeUpDetail() {
    const waiting = state.closeUp && !state.closeUpSharp;
    setText("closeup-detail", !waiting ? "" : state.closeUpBlurred
      ? "The full-size image did not load: shown smaller" : "Loading the full-size image…");
  }

  #fullscreen() {
    const button = $("fullscreen-button");
    if (!button || !document.fullscreenEnabled) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const request = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
      // A refusal is a passing line, not the gallery's error (which marked the page failed until the next piece).
      request?.catch?.(() => this.hint("This browser refused full screen."));
    });
    document.addEventListener("fullscreenchange", () => {
      const on = Boolean(document.fullscreenElement);
      setPressed("fullscreen-button", on, on ? "Exit full screen" : "Full screen");
      update({ fullscreen: on });
    });
  }
}
