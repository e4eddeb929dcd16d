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
