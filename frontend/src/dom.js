// Small helpers for the HTML layer: every element comes from the template; these find, fill and toggle it.
export const $ = (id) => document.getElementById(id);

/** Set an element's text, hiding it while the text is empty. */
export function setText(id, text) {
  const el = $(id);
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}

export function onClick(id, fn) {
  $(id)?.addEventListener("click", fn);
}

export function setPressed(id, on, label) {
  const el = $(id);
  if (!el) return;
  el.setAttribute("aria-pressed", String(on));
  if (label !== undefined) el.textContent = label;
}

/** Enable the controls the page holds disabled (data-needs-app) until the 3D code has wired them. */
export function enableControls() {
  for (const el of document.querySelectorAll("[data-needs-app]")) {
    el.disabled = false;
    el.removeAttribute("data-needs-app");
  }
}
