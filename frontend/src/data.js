// The site data inlined in every page, and the small decisions made from it (which file to fetch, how to
// name the models that made a caption or a piece of music).

export async function readSiteData(doc = document) {
  const el = doc.getElementById("gallery-data");
  if (!el) throw new Error("imaudible: the page has no #gallery-data element");
  // The main page inlines the data; artwork pages point at the one hashed copy (data-src).
  let data;
  if (el.dataset.src) {
    const response = await fetch(new URL(el.dataset.src, doc.baseURI));
    if (response.status === 404) {   // named by its content: another deploy since this page was fetched
      throw new Error("The gallery's data could not be loaded; the gallery may have been updated since this page opened: reload the page.");
    }
    if (!response.ok) throw new Error(`imaudible: site data ${el.dataset.src}: HTTP ${response.status}`);
    data = await response.json();
  } else {
    data = JSON.parse(el.textContent);
  }
  if (!Array.isArray(data.artworks)) throw new Error("imaudible: site data has no artworks list");
  return data;
}

/** Site root as an absolute URL, from the page's relative prefix (body data-root, e.g. "" or "../../"). */
export function siteRoot(doc = document) {
  return new URL(doc.body.dataset.root || "", doc.baseURI).href;
}

export function resolver(root) {
  return (rel) => (rel ? new URL(rel, root).href : null);
}

let webpSupport = null;

/** Whether the browser decodes WebP (checked once by decoding a 1x1 image). */
export function supportsWebp() {
  if (!webpSupport) {
    webpSupport = new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img.width === 1);
      img.onerror = () => resolve(false);
      img.src = "data:image/webp;base64,UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA";
    });
  }
  return webpSupport;
}

const fileOf = (im, webp) => ({ url: (webp && im.webp) || im.jpg || im.webp, long: Math.max(im.width, im.height) });

/**
 * The derivative to use as a texture, as {url, long (edge in px)}: the smallest one at least `wanted`
 * pixels on its long edge (or the largest there is), never beyond the GPU's texture limit.
 */
export function pickImage(art, { wanted, maxTexture, webp }) {
  const sized = Object.entries(art.images || {})
    .filter(([key]) => key !== "thumb")
    .map(([, im]) => im)
    .filter((im) => Math.max(im.width, im.height) <= maxTexture)
    .sort((a, b) => Math.max(a.width, a.height) - Math.max(b.width, b.height));
  const pool = sized.length ? sized : [art.images?.thumb].filter(Boolean);
  if (!pool.length) return null;
  return fileOf(pool.find((c) => Math.max(c.width, c.height) >= wanted) || pool[pool.length - 1], webp);
}

/** The thumbnail, shown first while the full texture loads. */
export function pickThumb(art, webp) {
  return art.images?.thumb ? fileOf(art.images.thumb, webp) : null;
}

// The piece's files this browser says it can play, best first: Opus/WebM, then AAC/MP4.
function playable(audio, probe) {
  return [
    audio.webm && probe.canPlayType('audio/webm; codecs="opus"') && audio.webm,
    audio.m4a && probe.canPlayType('audio/mp4; codecs="mp4a.40.2"') && audio.m4a,
  ].filter(Boolean);
}

/** The audio files to try, best first; when the browser claims none, the files there are anyway. */
export function audioFiles(art, probe) {
  const audio = art?.audio;
  if (!audio) return [];
  const files = playable(audio, probe);
  return files.length ? files : [audio.m4a || audio.webm].filter(Boolean);
}

export const OFFLINE = "this device is offline";

/** Why a piece's music could not be played, once every file of it failed. */
export function audioProblem(art, probe) {
  // A dropped connection fails a file just as a missing one does (Chromium: "Format error" for both).
  if (navigator.onLine === false) return `The music for “${isolate(art.title)}” could not be loaded: ${OFFLINE}. Play it again once it is back online.`;
  return playable(art?.audio || {}, probe).length
    ? `The music for “${isolate(art.title)}” could not be played: the file is missing or damaged.`
    : `This browser cannot play the music for “${isolate(art.title)}”: open the gallery in a current Chrome, Edge, Firefox or Safari.`;
}

/** The audio file this browser plays: Opus/WebM first, AAC/MP4 as the fallback. */
export function pickAudio(art, probe) {
  return audioFiles(art, probe)[0] || null;
}

const BUILTIN_NAMES = { describer: "built-in describer", procedural: "built-in composer" };

/** "Salesforce/blip…", or "draft: built-in composer" for the procedural fallbacks. */
export function modelLabel(name, draft) {
  if (!name) return "unknown";
  let label = name;
  if (name.startsWith("builtin:")) {
    const kind = name.slice("builtin:".length);
    label = BUILTIN_NAMES[kind] || `built-in ${kind}`;
  }
  return draft ? `draft: ${label}` : label;
}

/** A curator's text set inside a sentence of ours, isolated (U+2068 ... U+2069): a title in Arabic or Hebrew
 * keeps its own direction and leaves the quotes and words around it in place. */
export function isolate(text) {
  return `\u2068${text}\u2069`;
}

/** Whether `text` reads right to left: its first letter is Hebrew, Arabic, Syriac, Thaana, N'Ko or another
 * right-to-left script (what dir="auto" decides for an element). */
export function readsRightToLeft(text) {
  const first = String(text).match(/\p{L}/u);
  return Boolean(first) && /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]|[\u{10800}-\u{10FFF}]|[\u{1E800}-\u{1EFFF}]/u.test(first[0]);
}

export function artistLine(art) {
  return [art.artist, art.year].filter(Boolean).join(", ");
}
