// Code fetched on first use (the close-up, VR). Each deploy names these chunks by their content, so a page
// opened before the site was deployed again may ask for a chunk the host no longer has: the visitor is told
// to reload, instead of pressing a button that does nothing.

/** load() -> the chunk's module; when it cannot be fetched, rejects with an Error that says what to do. */
export function chunk(load, what) {
  return load().catch(() => {
    throw new Error(`${what} could not be loaded; the gallery may have been updated since this page opened: reload the page.`);
  });
}
