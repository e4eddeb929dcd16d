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

/** Put work `art` in the address bar without a new history entry (back still leaves the gallery). */
export function followTo(art, { resolve, siteTitle }) {
  if (!art) return;
  const onArtPage = Boolean(document.body.dataset.startArt);
  const url = onArtPage ? resolve(art.page) : `${location.pathname}${location.search}#${encodeURIComponent(art.id)}`;
  if (onArtPage && url === location.href) return;
  history.replaceState(history.state, "", url);
  document.title = `${art.title} — ${siteTitle}`;
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
