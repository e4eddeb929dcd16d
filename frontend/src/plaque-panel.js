// The plaque panel beside the 3D view: the focused work's title, text, credit and how it was made, and
// whether the music that plays is this work's or another's.
import { artistLine, isolate, modelLabel } from "./data.js";
import { $, onClick, setText } from "./dom.js";
import { state } from "./state.js";

export class PlaquePanel {
  /** actions: togglePlay(id), share(), closeUp() */
  constructor({ byId, resolve, actions }) {
    this.byId = byId;
    this.resolve = resolve;
    onClick("plaque-play", () => actions.togglePlay(state.focusedId));
    onClick("plaque-share", () => actions.share());
    onClick("plaque-closer", () => actions.closeUp());
    onClick("plaque-more", () => {
      const open = $("plaque-panel").classList.toggle("expanded");
      $("plaque-more").setAttribute("aria-expanded", String(open));
      $("plaque-more").textContent = open ? "Less" : "More";
    });
  }

  show(art) {
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

  /** The plaque and the player may describe different works: say so, and offer to play this one. */
  relate(playing, current) {
    const focused = this.byId.get(state.focusedId);
    const here = Boolean(focused) && state.focusedId === state.playingId;
    const elsewhere = playing && !here ? current : null;
    const button = $("plaque-play");
    if (button) {
      button.textContent = here && playing ? "Pause music" : elsewhere ? "Play this instead" : "Play music";
      button.disabled = !focused?.audio;
    }
    setText("plaque-relation", elsewhere ? `Playing now: music for “${isolate(elsewhere.title)}”, not this work.` : here && playing ? `♪ This work's music is ${state.buffering ? "loading…" : "playing."}` : "");
  }

  #credit(art) {
    const el = $("plaque-credit");
    if (!el) return;
    const words = [art.credit, art.license].filter(Boolean).map(isolate).join(" · ");
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
}
