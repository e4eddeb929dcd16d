// Input: keyboard (keyboard.js), mouse (pointer lock look, or drag), touch (drag to look, tap to walk or
// play, the on-screen joystick in joystick.js). Turns events into calls on the visitor and the `actions`
// the app provides.
import { Joystick } from "./joystick.js";
import { Keyboard } from "./keyboard.js";

const CLICK_SLOP = 6; // px a press may move and still be a click/tap
const LOCKED_LOOK = 0.0022; // rad per px, pointer lock
const DRAG_LOOK = 0.0045; // rad per px, drag (the world follows the finger)

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
    this.press = null;
    this.down = new Set(); // the pointers pressed on the canvas now
    this.onTouchSeen = onTouchSeen;
    this.touchSeen = false;
    this.changed = false;
    this.keyboard = new Keyboard(actions);
    this.joystick = joystick ? new Joystick(joystick, () => actions.interrupt()) : null;
    this.#pointer();
  }

  get locked() {
    return document.pointerLockElement === this.canvas;
  }

  #pointer() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.pointerType === "touch" && !this.touchSeen) {
        this.touchSeen = true;
        this.onTouchSeen?.();
      }
      if (e.button !== 0) return;
      if (e.isPrimary) {
        // No other pointer is down: forget any whose release was never seen.
        this.down.clear();
        this.press = null;
      }
      this.down.add(e.pointerId);
      // A second finger makes the gesture a pinch (the close-up's): neither finger looks around or taps.
      if (this.press) {
        this.press.several = true;
        return;
      }
      this.press = { id: e.pointerId, x: e.clientX, y: e.clientY, lastX: e.clientX, lastY: e.clientY, moved: 0, type: e.pointerType,
        several: this.down.size > 1 };
      if (!this.locked) c.setPointerCapture?.(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => this.#move(e));
    const release = (e) => {
      this.down.delete(e.pointerId);
      const p = this.press;
      if (!p || p.id !== e.pointerId) return;
      this.press = null;
      if (e.type === "pointerup" && p.moved <= CLICK_SLOP && !p.several) this.#click(e, p.type);
    };
    c.addEventListener("pointerup", release);
    c.addEventListener("pointercancel", release);
    document.addEventListener("pointerlockchange", () => this.actions.lockChanged?.(this.locked));
  }

  #move(e) {
    if (this.locked) {
      this.visitor.look(-e.movementX * LOCKED_LOOK, -e.movementY * LOCKED_LOOK);
      this.changed = true;
      return;
    }
    const p = this.press;
    if (!p || p.id !== e.pointerId || p.several) return;
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

  /** Apply held keys and the joystick for dt seconds; returns whether the view changed. */
  update(dt) {
    const [keyForward, keyStrafe, turn] = this.keyboard.direction();
    const [stickForward, stickStrafe] = this.joystick?.value || [0, 0];
    const forward = Math.max(-1, Math.min(1, keyForward + stickForward));
    const strafe = Math.max(-1, Math.min(1, keyStrafe + stickStrafe));
    let moved = this.changed;
    this.changed = false;
    if (turn) {
      this.visitor.turn(turn, dt);
      moved = true;
    }
    if (this.visitor.walk(forward, strafe, dt, this.keyboard.shift)) moved = true;
    return moved;
  }
}
