// Entry point of the 3D gallery. The page itself (title, a picture of the first work, the HUD) is painted
// first; the 3D code, three.js and all, is fetched and started after that, so the visitor sees the gallery's
// first work at once and the page never waits on half a megabyte of script to show anything.
import { state, update } from "./state.js";

const POSTER_WAIT = 1500; // ms: at most this long for the poster before the 3D starts anyway

function fail(err) {
  console.error(err);
  const message = String(err.message || err);
  update({ error: message });
  // No HUD may exist yet to say the error (app.js, or the site data, is what failed): the loader says it
  // where it tells the visitor what to do (a page kept from before a redeploy: reload), and stops being busy.
  const text = document.getElementById("loader-text");
  if (text) text.textContent = /reload the page\.$/.test(message) ? message : "The 3D gallery could not start. The list view below shows every artwork.";
  document.getElementById("loader")?.setAttribute("aria-busy", "false");
  document.body.classList.add("failed");
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the browser reports the poster painted (its largest-contentful-paint entry). */
function posterPainted(poster) {
  return new Promise((resolve) => {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((entry) => entry.element === poster)) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe({ type: "largest-contentful-paint", buffered: true });
  });
}

/** Resolves once the poster (if any) is on screen, or after POSTER_WAIT. */
async function firstPaint() {
  const poster = document.querySelector(".loader-poster img");
  if (poster && PerformanceObserver.supportedEntryTypes?.includes("largest-contentful-paint")) {
    return Promise.race([posterPainted(poster), delay(POSTER_WAIT)]);
  }
  if (poster && !poster.complete) {
    await Promise.race([new Promise((resolve) => poster.addEventListener("load", resolve, { once: true })), delay(POSTER_WAIT)]);
  }
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

async function boot() {
  window.imaudible = { state }; // app.js adds the rest once it runs
  await firstPaint();
  const { start } = await import("./app.js").catch(() => {
    // named by its content: a page kept from before another deploy asks for a file the host no longer has
    throw new Error("The 3D gallery's code could not be loaded; the gallery may have been updated since this page opened: reload the page.");
  });
  await new Promise((resolve) => setTimeout(resolve, 0)); // evaluating three.js is one task, the setup others
  await start();
}

function run() {
  boot().catch(fail);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
else run();
