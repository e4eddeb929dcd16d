// Files fetched on first use: code (the close-up, VR) and music. Each deploy names them by their content, so
// a page opened before the site was deployed again may ask for one the host no longer has: the visitor is
// told to reload, instead of pressing a button that does nothing or hearing that a file is damaged.
import { isolate } from "./data.js";
import { state, update } from "./state.js";

/** load() -> the chunk's module; when it cannot be fetched, rejects with an Error that says what to do. */
export function chunk(load, what) {
  return load().catch(() => {
    throw new Error(`${what} could not be loaded; the gallery may have been updated since this page opened: reload the page.`);
  });
}

/**
 * Whether the site published now names other music files for `art` than this page does (or has it no more):
 * the site was deployed again since the page opened, and its old files are gone from the host. Reads
 * gallery.json, which hosts revalidate on every request.
 */
async function musicMovedSince(art, resolve) {
  try {
    const response = await fetch(resolve("gallery.json"), { cache: "no-store" });
    if (!response.ok) return false;
    const now = (await response.json()).artworks?.find((a) => a.id === art.id);
    return JSON.stringify(now?.audio ?? null) !== JSON.stringify(art.audio ?? null);
  } catch {
    return false; // offline, or no gallery.json: nothing known
  }
}

/** `problem` (the error line said for `art`'s failed music) becomes "reload" where the site now names other files. */
export async function sayIfMusicMoved(art, resolve, problem) {
  if (navigator.onLine === false) return; // offline: the line already says so
  if (!(await musicMovedSince(art, resolve)) || state.error !== problem) return;
  update({ error: `The music for “${isolate(art.title)}” has been replaced since this page opened: reload the page.` });
}
