// Files fetched on first use: code (the close-up, VR), music and images. Each deploy names them by their
// content, so a page opened before the site was deployed again may ask for one the host no longer has: the
// visitor is told to reload, instead of pressing a button that does nothing, hearing that a file is damaged
// or facing a blank painting.
import { isolate } from "./data.js";
import { state, update } from "./state.js";

/** load() -> the chunk's module; when it cannot be fetched, rejects with an Error that says what to do. */
export function chunk(load, what) {
  return load().catch(() => {
    throw new Error(`${what} could not be loaded; the gallery may have been updated since this page opened: reload the page.`);
  });
}

let published = null; // { at, data }: gallery.json as the host has it now, read at most once in 10 s
const FRESH_FOR = 10_000;

/** gallery.json as published now (hosts revalidate it on every request), or null where it cannot be read. */
function publishedData(resolve) {
  if (!published || performance.now() - published.at > FRESH_FOR) {
    const data = fetch(resolve("gallery.json"), { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null); // offline, or no gallery.json: nothing known
    published = { at: performance.now(), data };
  }
  return published.data;
}

/**
 * Whether the site published now names other files under `key` ("audio", "images") for `art` than this page
 * does, or has it no more: the site was deployed again since the page opened, and the old files are gone.
 */
async function movedSince(art, resolve, key) {
  const data = await publishedData(resolve);
  if (!data) return false;
  const now = data.artworks?.find((a) => a.id === art.id);
  return JSON.stringify(now?.[key] ?? null) !== JSON.stringify(art[key] ?? null);
}

/** `problem` (the error line said for `art`'s failed music) becomes "reload" where the site now names other files. */
export async function sayIfMusicMoved(art, resolve, problem) {
  if (navigator.onLine === false) return; // offline: the line already says so
  if (!(await movedSince(art, resolve, "audio")) || state.error !== problem) return;
  update({ error: `The music for “${isolate(art.title)}” has been replaced since this page opened: reload the page.` });
}

/** A painting whose image could not be fetched (it stays blank): "reload" where the site now names other images. */
export async function sayIfImagesMoved(art, resolve) {
  if (navigator.onLine === false || !(await movedSince(art, resolve, "images")) || state.error) return;
  update({ error: `The picture of “${isolate(art.title)}” has been replaced since this page opened: reload the page.` });
}
