// The player bar at the bottom: what plays, play/pause, progress and seek, play next, mute, volume and
// spatial sound.
import { isolate } from "./data.js";
import { $, onClick, setPressed, setText } from "./dom.js";
import { state } from "./state.js";

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class PlayerBar {
  /** actions: togglePlay(null), playNext(), seek(fraction), position() -> {time, duration}, mute(), volume(v), spatial(on) */
  constructor({ byId, actions }) {
    this.byId = byId;
    this.position = actions.position;
    onClick("play-toggle", () => actions.togglePlay(null));
    onClick("play-next", () => actions.playNext());
    onClick("mute-toggle", () => actions.mute());
    onClick("spatial-toggle", () => actions.spatial(!state.spatial));
    $("seek")?.addEventListener("input", (e) => actions.seek(Number(e.target.value) / 1000));
    $("volume")?.addEventListener("input", (e) => actions.volume(Number(e.target.value) / 100));
    setInterval(() => state.playingId && this.progress(), 250);
  }

  /** Fill the bar from the state; returns the work that plays (or is paused), if any. */
  show() {
    this.progress();
    const playing = Boolean(state.playingId && !state.paused);
    const current = this.byId.get(state.playingId);
    const doing = state.paused ? "Paused" : state.buffering ? "Loading" : "Now playing";
    const line = current
      ? `${doing}: music for “${isolate(current.title)}”${current.artist ? ` by ${isolate(current.artist)}` : ""}`
      : document.body.classList.contains("touch") ? "Tap a painting to hear its music." : "Click a painting (or press Enter) to hear its music.";
    setText("now-playing", line);
    const toggle = $("play-toggle");
    if (toggle) {
      toggle.textContent = playing ? "Pause" : "Play";
      toggle.setAttribute("aria-label", playing ? "Pause the music" : "Play the music");
    }
    document.body.classList.toggle("playing", playing);
    return { playing, current };
  }

  progress() {
    const { time, duration } = this.position();
    const seek = $("seek");
    if (seek) {
      seek.disabled = !state.playingId;
      if (document.activeElement !== seek) seek.value = String(duration ? Math.round((time / duration) * 1000) : 0);
      seek.setAttribute("aria-valuetext", `${clock(time)} of ${clock(duration)}`);
    }
    setText("elapsed", `${clock(time)} / ${clock(duration)}`);
  }

  sound() {
    setPressed("mute-toggle", state.muted, state.muted ? "Unmute" : "Mute");
    const vol = $("volume");
    const percent = Math.round(state.volume * 100);
    if (vol && Number(vol.value) !== percent) vol.value = String(percent);
  }

  spatial() {
    setPressed("spatial-toggle", state.spatial);
  }
}
