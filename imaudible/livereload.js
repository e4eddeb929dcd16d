// imaudible serve's live reload (served at /__imaudible/livereload.js, never part of a built site).
// Polls the version endpoint; reloads when the site was rebuilt after this page was served, and shows the
// one-line error of a failed rebuild over the page until the next good build. The overlay is built with DOM
// calls and styled through CSSOM, both allowed by the site's Content-Security-Policy (no inline style or script).
(() => {
  const served = document.currentScript && document.currentScript.dataset.version;
  let known = served === undefined ? null : served;
  const OVERLAY_ID = "imaudible-build-error";
  const FAILED = "imaudible: the rebuild failed. This page shows the last good build.";
  const PARTIAL = "imaudible: some artworks failed; this build leaves them out until they are fixed.";
  function showError(message, partial) {
    let box = document.getElementById(OVERLAY_ID);
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY_ID;
      box.setAttribute("role", "alert");
      Object.assign(box.style, {
        position: "fixed", left: "0", right: "0", top: "0", zIndex: "2147483647", padding: "12px 16px",
        background: "#8b1a1a", color: "#fff", font: "14px/1.4 ui-monospace, monospace",
        whiteSpace: "pre-wrap", boxShadow: "0 2px 8px rgba(0,0,0,.5)",
      });
      const title = document.createElement("strong");
      title.className = "imaudible-build-error-title";
      const text = document.createElement("div");
      text.className = "imaudible-build-error-message";
      box.append(title, text);
      document.body.append(box);
    }
    box.querySelector(".imaudible-build-error-title").textContent = partial ? PARTIAL : FAILED;
    box.querySelector(".imaudible-build-error-message").textContent = message;
  }
  function hideError() {
    const box = document.getElementById(OVERLAY_ID);
    if (box) box.remove();
  }
  async function poll() {
    try {
      const response = await fetch("/__imaudible/version", { cache: "no-store" });
      const { version, error, partial } = await response.json();
      if (known === null) known = String(version);
      else if (String(version) !== known) { location.reload(); return; }
      if (error) showError(error, partial); else hideError();
    } catch (error) { /* the server is restarting; try again */ }
    setTimeout(poll, 700);
  }
  poll();
})();
