// Keyboard input: held keys that walk and turn (WASD, arrows, Q/E), and single keys that act (N/P next
// and previous painting, Enter plays, T tour, M mute, H help, C close-up, + and − zoom, Esc).
// Character keys act wherever the focus is, unless the visitor unticks Help's "letter keys" box: then only
// with the 3D view in focus (WCAG 2.1.4: speech input types words, and each letter would act).

export const MOVE_KEYS = {
  KeyW: [1, 0],
  ArrowUp: [1, 0],
  KeyS: [-1, 0],
  ArrowDown: [-1, 0],
  KeyA: [0, -1],
  KeyD: [0, 1],
};
export const TURN_KEYS = { ArrowLeft: 1, KeyQ: 1, ArrowRight: -1, KeyE: -1 };
const ACTION_KEYS = {
  n: "next", N: "next", PageDown: "next", "]": "next", ".": "next",
  p: "prev", P: "prev", PageUp: "prev", "[": "prev", ",": "prev",
  Enter: "enter", " ": "enter",
  t: "tour", T: "tour",
  m: "mute", M: "mute",
  h: "help", H: "help", "?": "help",
  Escape: "escape",
  c: "closeUp", C: "closeUp",
  "+": "zoomIn", "=": "zoomIn", "-": "zoomOut",
};

function isTyping(el) {
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

const LETTER_KEYS = "imaudible.letterKeys"; // "view": character keys act only with the 3D view in focus

function letterKeysEverywhere() {
  try {
    return localStorage.getItem(LETTER_KEYS) !== "view";
  } catch {
    return true; // storage refused (a private window): the default
  }
}

function rememberLetterKeys(everywhere) {
  try {
    if (everywhere) localStorage.removeItem(LETTER_KEYS);
    else localStorage.setItem(LETTER_KEYS, "view");
  } catch {
    /* kept for this page only */
  }
}

function inTheView(el) {
  return !el || el === document.body || el === document.documentElement || el.getAttribute?.("role") === "application";
}

function isControl(el) {
  return el && (isTyping(el) || el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY");
}

export class Keyboard {
  /** actions: one per ACTION_KEYS value, and interrupt() (a walking key takes over from the tour) */
  constructor(actions) {
    this.held = new Set(); // codes of the walking and turning keys that are down
    this.shift = false;
    this.letterKeysEverywhere = letterKeysEverywhere();
    const box = document.getElementById("letter-keys");
    if (box) {
      box.checked = this.letterKeysEverywhere;
      box.addEventListener("change", () => rememberLetterKeys((this.letterKeysEverywhere = box.checked)));
    }
    window.addEventListener("keydown", (e) => this.#down(e, actions));
    window.addEventListener("keyup", (e) => {
      this.shift = e.shiftKey;
      this.held.delete(e.code);
    });
    window.addEventListener("blur", () => this.held.clear());
  }

  #down(e, actions) {
    this.shift = e.shiftKey;
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    // An open dialog (help, index) owns the keys: N, T or an arrow there once acted on the hidden room
    // behind it, and the Escape that closed it also stopped the tour.
    if (e.target instanceof Element && e.target.closest("dialog")) return;
    if (e.key.length === 1 && !this.letterKeysEverywhere && !inTheView(e.target)) return;
    const code = e.code;
    if (e.target instanceof Element && e.target.closest(".minimap-rooms") && e.key.startsWith("Arrow")) return;
    if (MOVE_KEYS[code] || TURN_KEYS[code] !== undefined) {
      this.held.add(code);
      actions.interrupt();
      e.preventDefault();
      return;
    }
    if (isControl(e.target) && (code === "Enter" || code === "Space" || code === "NumpadEnter")) return;
    const handled = ACTION_KEYS[e.key];
    if (!handled) return;
    if (e.key !== "Escape") e.preventDefault();
    actions[handled]?.();
  }

  /** The held keys as [forward, strafe, turn], each summed over the keys. */
  direction() {
    let forward = 0;
    let strafe = 0;
    let turn = 0;
    for (const k of this.held) {
      if (MOVE_KEYS[k]) {
        forward += MOVE_KEYS[k][0];
        strafe += MOVE_KEYS[k][1];
      } else if (TURN_KEYS[k] !== undefined) turn += TURN_KEYS[k];
    }
    return [forward, strafe, turn];
  }
}
