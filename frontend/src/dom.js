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

/**
 * A toggle button's state. With a `label` the button names what it does next ("Mute" / "Unmute") and has no
 * aria-pressed: a screen reader would say "Unmute, pressed", which reads as the opposite. data-on styles it.
 */
export function setPressed(id, on, label) {
  const el = $(id);
  if (!el) return;
  if (label === undefined) {
    el.setAttribute("aria-pressed", String(on));
    return;
  }
  el.textContent = label;
  el.removeAttribute("aria-pressed");
  el.toggleAttribute("data-on", on);
}

/** Enable the controls the page holds disabled (data-needs-app) until the 3D code has wired them. */
export function enableControls() {
  for (const el of document.querySelectorAll("[data-needs-app]")) {
    el.disabled = false;
    el.removeAttribute("data-needs-app");
  }
}
