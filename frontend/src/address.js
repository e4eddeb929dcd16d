// The address follows the visitor: `index.html#id` opens facing that work, moving to a work updates the
// URL (the hash on index.html, the work's own page under art/), and a work can be shared by its link.

/** The artwork the page should open facing: an artwork page's own, or index.html's `#id`. */
export function startArtwork(doc = document, known = () => true) {
  const own = doc.body.dataset.startArt;
  if (own) return own;
  let id = "";
  try {
    id = decodeURIComponent(location.hash.slice(1));
  } catch {
    return null;
  }
  return id && known(id) ? id : null;
}

// Safari throws on the 101st address change within 30 s, and holding N (or looking around a room) moves the
// focus many times a second: the address follows at most once a second, and always ends on the last work.
const FOLLOW_EVERY = 1000; // ms
let followedAt = -Infinity;
let followTimer = 0;

/** Put work `art` in the address bar without a new history entry (back still leaves the gallery). */
export function followTo(art, { resolve, siteTitle }) {
  if (!art) return;
  document.title = `${art.title} — ${siteTitle}`;
  clearTimeout(followTimer);
  const write = () => {
    followedAt = performance.now();
    writeAddress(art, resolve);
  };
  const wait = followedAt + FOLLOW_EVERY - performance.now();
  if (wait <= 0) write();
  else followTimer = setTimeout(write, wait);
}

function writeAddress(art, resolve) {
  const onArtPage = Boolean(document.body.dataset.startArt);
  const url = onArtPage ? resolve(art.page) : `${location.pathname}${location.search}#${encodeURIComponent(art.id)}`;
  if (onArtPage && url === location.href) return;
  try {
    history.replaceState(history.state, "", url);
  } catch {
    // refused all the same (a browser's own limit): the address stays on an earlier work until the next move
  }
}

/** Share a work's page: the system share sheet where there is one, else copy the link. Returns what happened. */
export async function shareArtwork(art, resolve) {
  const url = resolve(art.page);
  if (navigator.share) {
    try {
      await navigator.share({ title: art.title, text: art.artist ? `${art.title} by ${art.artist}` : art.title, url });
      return "shared";
    } catch (err) {
      if (err?.name === "AbortError") return "cancelled";
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    return "copied";
  } catch {
    window.prompt("Copy this link:", url);
    return "shown";
  }
}
