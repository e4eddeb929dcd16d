// The on-screen joystick for touch screens: a knob that follows the finger within its ring, read as
// [forward, strafe] in -1..1.

export class Joystick {
  /** onGrab: called when a finger takes the stick (the visitor takes over from the tour) */
  constructor(el, onGrab) {
    this.value = [0, 0];
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
      this.value = [-dy, dx];
      if (knob) knob.style.transform = `translate(${dx * radius * 0.6}px, ${dy * radius * 0.6}px)`;
    };
    el.addEventListener("pointerdown", (e) => {
      id = e.pointerId;
      el.setPointerCapture?.(id);
      onGrab();
      set(e);
    });
    el.addEventListener("pointermove", (e) => e.pointerId === id && set(e));
    const end = (e) => {
      if (e.pointerId !== id) return;
      id = null;
      this.value = [0, 0];
      if (knob) knob.style.transform = "";
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
  }
}
