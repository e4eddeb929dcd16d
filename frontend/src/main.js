// Entry point of the 3D gallery. The page itself (title, a picture of the first work, the HUD) is painted
// first; the 3D code, three.js and all, is fetched and started after that, so the visitor sees the gallery's
// first work at once and the page never waits on half a megabyte of script to show anything.
import { state, update } from "./state.js";

const POSTER_WAIT = 1500; // ms: at most this long for the poster before the 3D starts anyway

function fail(err) {
  console.error(err);
  update({ error: String(err.message || err) });
  const text = document.getElementById("loader-text");
  if (text) text.textContent = "The 3D gallery could not start. The list view below shows every artwork.";
  document.body.classList.add("failed");
}

/** Resolves once the poster (if any) has arrived, or after POSTER_WAIT, and a frame with it was painted. */
async function firstPaint() {
  const poster = document.querySelector(".loader-poster img");
  if (poster && !poster.complete) {
    await new Promise((resolve) => {
      poster.addEventListener("load", resolve, { once: true });
      poster.addEventListener("error", resolve, { once: true });
      setTimeout(resolve, POSTER_WAIT);
    });
  }
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

async function boot() {
  window.imaudible = { state }; // app.js adds the rest once it runs
  await firstPaint();
  const { start } = await import("./app.js");
  await start();
}

function run() {
  boot().catch(fail);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
else run();
