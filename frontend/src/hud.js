// The HTML layer over the 3D view: loading indicator, plaque panel, player bar, tour/help buttons, the
// screen-reader announcer. Every element comes from the template; this only fills and toggles them.
import { artistLine, modelLabel } from "./data.js";
import { state, onChange, update } from "./state.js";

const $ = (id) => document.getElementById(id);

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function setText(id, text) {
  const el = $(id);
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}

export class Hud {
  /** actions: next, prev, togglePlay(id?), mute, volume(v), spatial(on), tour, help */
  constructor({ byId, resolve, actions, touch }) {
    this.byId = byId;
    this.resolve = resolve;
    this.actions = actions;
    this.#bind("prev-button", () => actions.prev());
    this.#bind("next-button", () => actions.next());
    this.#bind("plaque-play", () => actions.togglePlay(state.focusedId));
    this.#bind("play-toggle", () => actions.togglePlay(null));
    this.#bind("mute-toggle", () => actions.mute());
    this.#bind("spatial-toggle", () => actions.spatial(!state.spatial));
    this.#bind("tour-button", () => actions.tour());
    this.#bind("help-button", () => this.toggleHelp());
    this.#bind("help-close", () => this.toggleHelp(false));
    this.#bind("plaque-share", () => actions.share());
    this.#bind("tour-pause", () => actions.tourPause());
    this.#fullscreen();
    this.#bind("play-next", () => actions.playNext());
    $("seek")?.addEventListener("input", (e) => actions.seek(Number(e.target.value) / 1000));
    this.position = actions.position;
    setInterval(() => state.playingId && this.#progress(), 250);
    this.#bind("plaque-closer", () => actions.closeUp());
    this.#bind("closeup-back", () => actions.escape());
    this.#bind("closeup-in", () => actions.zoomIn());
    this.#bind("closeup-out", () => actions.zoomOut());
    this.#bind("plaque-more", () => {
      const panel = $("plaque-panel");
      const open = panel.classList.toggle("expanded");
      $("plaque-more").setAttribute("aria-expanded", String(open));
      $("plaque-more").textContent = open ? "Less" : "More";
    });
    $("volume")?.addEventListener("input", (e) => actions.volume(Number(e.target.value) / 100));
    $("help")?.addEventListener("close", () => $("help-button")?.setAttribute("aria-expanded", "false"));
    document.body.classList.toggle("touch", Boolean(touch));
    onChange((keys) => this.render(keys));
    this.render(Object.keys(state));
  }

  #bind(id, fn) {
    $(id)?.addEventListener("click", fn);
  }

  setTouch(on) {
    document.body.classList.toggle("touch", on);
    const stick = $("joystick");
    if (stick) stick.hidden = !on;
  }

  progress(done, total) {
    const bar = $("loader-progress");
    if (bar) {
      bar.max = Math.max(1, total);
      bar.value = done;
    }
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
    const dlg = $("help");
    if (!dlg) return;
    const show = open ?? !dlg.open;
    if (show && !dlg.open) dlg.showModal ? dlg.showModal() : dlg.setAttribute("open", "");
    if (!show && dlg.open) dlg.close ? dlg.close() : dlg.removeAttribute("open");
    $("help-button")?.setAttribute("aria-expanded", String(show));
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

  render(keys) {
    const has = (k) => keys.includes(k);
    if (has("ready")) {
      const loader = $("loader");
      if (loader) loader.hidden = state.ready;
      document.body.classList.toggle("ready", state.ready);
    }
    if (has("focusedId")) this.#plaque(this.byId.get(state.focusedId));
    if (has("playingId") || has("paused") || has("focusedId")) this.#player();
    if (has("muted") || has("volume")) {
      const mute = $("mute-toggle");
      if (mute) {
        mute.setAttribute("aria-pressed", String(state.muted));
        mute.textContent = state.muted ? "Unmute" : "Mute";
      }
      const vol = $("volume");
      if (vol && Number(vol.value) !== Math.round(state.volume * 100)) vol.value = String(Math.round(state.volume * 100));
    }
    if (has("spatial")) $("spatial-toggle")?.setAttribute("aria-pressed", String(state.spatial));
    if (has("touring")) {
      const b = $("tour-button");
      if (b) {
        b.setAttribute("aria-pressed", String(state.touring));
        b.textContent = state.touring ? "Stop tour" : "Guided tour";
      }
    }
    if (has("touring") || has("tour") || has("tourPaused")) {
      const bar = $("tour-bar");
      if (bar) bar.hidden = !state.touring;
      document.body.classList.toggle("touring", state.touring);
      setText("tour-progress", state.touring ? `Tour: ${state.tour.at} of ${state.tour.of}${state.tourPaused ? " · paused" : ""}` : "");
      const pause = $("tour-pause");
      if (pause) pause.textContent = state.tourPaused ? "Resume tour" : "Pause tour";
    }
    if (has("error")) setText("error-line", state.error);
    if (has("closeUp")) {
      const bar = $("closeup-bar");
      if (bar) bar.hidden = !state.closeUp;
      if (state.closeUp) $("closeup-back")?.focus({ preventScroll: true });
    }
  }

  #plaque(art) {
    const panel = $("plaque-panel");
    if (!panel) return;
    panel.hidden = !art;
    if (!art) return;
    setText("plaque-title", art.title);
    setText("plaque-artist", artistLine(art));
    setText("plaque-description", art.description || art.caption);
    setText("plaque-music", art.music_description ? `The music: ${art.music_description}` : "");
    this.#credit(art);
    setText("plaque-caption", art.caption ? `Caption: ${art.caption}` : "");
    setText("plaque-prompt", art.prompt ? `Music prompt: “${art.prompt}”` : "");
    const m = art.models || {};
    const prompt = m.prompt ? ` · prompt by ${modelLabel(m.prompt, false)}` : "";
    setText("plaque-models", `Caption by ${modelLabel(m.caption, m.caption_draft)}${prompt} · music by ${modelLabel(m.music, m.music_draft)}`);
    const link = $("plaque-link");
    if (link) link.href = this.resolve(art.page);
    const list = $("plaque-list");
    if (list) list.href = this.resolve(art.list_anchor);
  }

  #fullscreen() {
    const button = $("fullscreen-button");
    if (!button || !document.fullscreenEnabled) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const request = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
      request?.catch?.(() => update({ error: "This browser refused full screen." }));
    });
    document.addEventListener("fullscreenchange", () => {
      const on = Boolean(document.fullscreenElement);
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? "Exit full screen" : "Full screen";
      update({ fullscreen: on });
    });
  }

  #credit(art) {
    const el = $("plaque-credit");
    if (!el) return;
    const words = [art.credit, art.license].filter(Boolean).join(" · ");
    el.replaceChildren(words);
    if (art.source_url) {
      const a = document.createElement("a");
      a.href = art.source_url;
      a.rel = "noopener";
      a.textContent = "Source";
      el.append(words ? " · " : "", a);
    }
    el.hidden = !words && !art.source_url;
  }

  #progress() {
    const { time, duration } = this.position();
    const seek = $("seek");
    if (seek) {
      seek.disabled = !state.playingId;
      if (document.activeElement !== seek) seek.value = String(duration ? Math.round((time / duration) * 1000) : 0);
      seek.setAttribute("aria-valuetext", `${clock(time)} of ${clock(duration)}`);
    }
    setText("elapsed", `${clock(time)} / ${clock(duration)}`);
  }

  #player() {
    this.#progress();
    const playing = state.playingId && !state.paused;
    const current = this.byId.get(state.playingId);
    const line = current
      ? `${state.paused ? "Paused" : "Now playing"}: music for “${current.title}”${current.artist ? ` by ${current.artist}` : ""}`
      : "Click or tap a painting (or press Enter) to hear its music.";
    setText("now-playing", line);
    const toggle = $("play-toggle");
    if (toggle) {
      toggle.textContent = playing ? "Pause" : "Play";
      toggle.setAttribute("aria-label", playing ? "Pause the music" : "Play the music");
    }
    const pp = $("plaque-play");
    const focused = this.byId.get(state.focusedId);
    const here = Boolean(focused) && state.focusedId === state.playingId;
    const elsewhere = playing && !here ? current : null;
    if (pp) {
      pp.textContent = here && playing ? "Pause music" : elsewhere ? "Play this instead" : "Play music";
      pp.disabled = !focused?.audio;
    }
    // The plaque and the player may describe different works: say so.
    setText("plaque-relation", elsewhere ? `Playing now: music for “${elsewhere.title}”, not this work.` : here && playing ? "♪ This work's music is playing." : "");
    document.body.classList.toggle("playing", Boolean(playing));
  }
}
