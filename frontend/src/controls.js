// Input: keyboard (WASD/arrows, next/previous painting, Enter), mouse (pointer lock look, or drag), touch
// (drag to look, tap to walk or play, on-screen joystick). Turns events into calls on the visitor and the
// `actions` the app provides.

const MOVE_KEYS = {
  KeyW: [1, 0],
  ArrowUp: [1, 0],
  KeyS: [-1, 0],
  ArrowDown: [-1, 0],
  KeyA: [0, -1],
  KeyD: [0, 1],
};
const TURN_KEYS = { ArrowLeft: 1, KeyQ: 1, ArrowRight: -1, KeyE: -1 };
const CLICK_SLOP = 6; // px a press may move and still be a click/tap
const LOCKED_LOOK = 0.0022; // rad per px, pointer lock
const DRAG_LOOK = 0.0045; // rad per px, drag (the world follows the finger)

function isTyping(el) {
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

function isControl(el) {
  return el && (isTyping(el) || el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY");
}

export class Controls {
  /**
   * actions: pick(clientX, clientY | null) -> {paintingId?, floor?: [x, z]}; activate(id, how); walkTo([x, z]);
   * next(); prev(); enter(); tour(); mute(); help(); escape(); interrupt() (the visitor took over);
   * optional drag(dx, dy) and tapBack() -> true when the close-up took the gesture
   */
  constructor({ canvas, visitor, actions, joystick, onTouchSeen }) {
    this.canvas = canvas;
    this.visitor = visitor;
    this.actions = actions;
    this.keys = new Set();
    this.shift = false;
    this.stick = [0, 0];
    this.press = null;
    this.onTouchSeen = onTouchSeen;
    this.touchSeen = false;
    this.changed = false;
    this.#keyboard();
    this.#pointer();
    if (joystick) this.#joystick(joystick);
  }

  get locked() {
    return document.pointerLockElement === this.canvas;
  }

  #keyboard() {
    window.addEventListener("keydown", (e) => {
      this.shift = e.shiftKey;
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const code = e.code;
      if (MOVE_KEYS[code] || TURN_KEYS[code] !== undefined) {
        this.keys.add(code);
        this.actions.interrupt();
        e.preventDefault();
        return;
      }
      if (isControl(e.target) && (code === "Enter" || code === "Space" || code === "NumpadEnter")) return;
      const key = e.key;
      const handled = {
        n: "next", N: "next", PageDown: "next", "]": "next", ".": "next",
        p: "prev", P: "prev", PageUp: "prev", "[": "prev", ",": "prev",
        Enter: "enter", " ": "enter",
        t: "tour", T: "tour",
        m: "mute", M: "mute",
        h: "help", H: "help", "?": "help",
        Escape: "escape",
        c: "closeUp", C: "closeUp",
        "+": "zoomIn", "=": "zoomIn", "-": "zoomOut",
      }[key];
      if (!handled) return;
      if (key !== "Escape") e.preventDefault();
      this.actions[handled]?.();
    });
    window.addEventListener("keyup", (e) => {
      this.shift = e.shiftKey;
      this.keys.delete(e.code);
    });
    window.addEventListener("blur", () => this.keys.clear());
  }

  #pointer() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.pointerType === "touch" && !this.touchSeen) {
        this.touchSeen = true;
        this.onTouchSeen?.();
      }
      if (e.button !== 0) return;
      this.press = { id: e.pointerId, x: e.clientX, y: e.clientY, lastX: e.clientX, lastY: e.clientY, moved: 0, type: e.pointerType };
      if (!this.locked) c.setPointerCapture?.(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      if (this.locked) {
        this.visitor.look(-e.movementX * LOCKED_LOOK, -e.movementY * LOCKED_LOOK);
        this.changed = true;
        return;
      }
      const p = this.press;
      if (!p || p.id !== e.pointerId) return;
      const dx = e.clientX - p.lastX;
      const dy = e.clientY - p.lastY;
      p.lastX = e.clientX;
      p.lastY = e.clientY;
      p.moved = Math.max(p.moved, Math.hypot(e.clientX - p.x, e.clientY - p.y));
      if (p.moved > CLICK_SLOP && this.actions.drag?.(dx, dy)) return;
      if (p.moved > CLICK_SLOP) {
        this.actions.interrupt();
        this.visitor.look(dx * DRAG_LOOK, dy * DRAG_LOOK);
        this.changed = true;
      }
    });
    const release = (e) => {
      const p = this.press;
      if (!p || p.id !== e.pointerId) return;
      this.press = null;
      if (e.type === "pointerup" && p.moved <= CLICK_SLOP) this.#click(e, p.type);
    };
    c.addEventListener("pointerup", release);
    c.addEventListener("pointercancel", release);
    document.addEventListener("pointerlockchange", () => this.actions.lockChanged?.(this.locked));
  }

  #click(e, type) {
    if (this.actions.tapBack?.()) return;
    const hit = this.locked ? this.actions.pick(null, null) : this.actions.pick(e.clientX, e.clientY);
    if (hit?.paintingId) {
      this.actions.activate(hit.paintingId, type === "touch" ? "tap" : "click");
      return;
    }
    if (type === "touch" || type === "pen") {
      if (hit?.floor) this.actions.walkTo(hit.floor);
      return;
    }
    if (!this.locked && this.canvas.requestPointerLock) {
      try {
        const r = this.canvas.requestPointerLock();
        if (r && r.catch) r.catch(() => {});
      } catch {
        // Pointer lock refused (iframe, kiosk): drag-to-look keeps working.
      }
    }
  }

  #joystick(el) {
    const knob = el.firstElementChild;
    let id = null;
    const set = (e) => {
      const r = el.getBoundingClientRect();
      const radius = r.width / 2;
      let dx = (e.clientX - (r.left + radius)) / radius;
      let dy = (e.clientY - (r.top + radius)) / radius;
      const len = Math.hypot(dx, dy);
      if (len > 1) {
        dx /= len;
        dy /= len;
      }
      this.stick = [-dy, dx];
      if (knob) knob.style.transform = `translate(${dx * radius * 0.6}px, ${dy * radius * 0.6}px)`;
    };
    el.addEventListener("pointerdown", (e) => {
      id = e.pointerId;
      el.setPointerCapture?.(id);
      this.actions.interrupt();
      set(e);
    });
    el.addEventListener("pointermove", (e) => e.pointerId === id && set(e));
    const end = (e) => {
      if (e.pointerId !== id) return;
      id = null;
      this.stick = [0, 0];
      if (knob) knob.style.transform = "";
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
  }

  /** Apply held keys and the joystick for dt seconds; returns whether the view changed. */
  update(dt) {
    let forward = this.stick[0];
    let strafe = this.stick[1];
    let turn = 0;
    for (const k of this.keys) {
      if (MOVE_KEYS[k]) {
        forward += MOVE_KEYS[k][0];
        strafe += MOVE_KEYS[k][1];
      } else if (TURN_KEYS[k] !== undefined) turn += TURN_KEYS[k];
    }
    let moved = this.changed;
    this.changed = false;
    if (turn) {
      this.visitor.turn(turn, dt);
      moved = true;
    }
    if (this.visitor.walk(Math.max(-1, Math.min(1, forward)), Math.max(-1, Math.min(1, strafe)), dt, this.shift)) moved = true;
    return moved;
  }
}
