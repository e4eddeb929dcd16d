// Close-up: a click or tap on the selected (playing) painting glides the camera until the painting fills
// the free part of the view and loads its largest texture; the wheel, a pinch or the +/- buttons zoom in
// further, a drag moves across it, and Esc, a tap beside it or "Back" steps back to where the visitor stood.
// Loaded on first use.
import { DIMS } from "./layout.js";
import { onChange, state, update } from "./state.js";

const VFOV = (70 * Math.PI) / 180;
const FILL = 0.94; // share of the free view the painting takes
const MAX_ZOOM = 8;

export class CloseUp {
  /**
   * getShare(): the free part of the view ({w, h} fractions, framing.js); viewOf(p): where painting p is framed
   * from; sharpen(id): Promise of the largest texture
   */
  constructor({ camera, canvas, visitor, hung, getShare, viewOf, sharpen, changed }) {
    Object.assign(this, { camera, canvas, visitor, hung, getShare, viewOf, sharpen, changed });
    this.back = null;
    this.touches = new Map();
    canvas.addEventListener("wheel", (e) => {
      if (!state.closeUp) return;
      e.preventDefault();
      this.zoomBy(Math.exp(-e.deltaY * 0.0015));
    }, { passive: false });
    canvas.addEventListener("pointerdown", (e) => e.pointerType === "touch" && this.touches.set(e.pointerId, [e.clientX, e.clientY]));
    canvas.addEventListener("pointermove", (e) => this.#pinch(e));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (e) => this.touches.delete(e.pointerId));
    // A phone turned, a window resized, a panel grown: the painting fills the view as it is now.
    onChange((keys) => keys.includes("framings") && this.#refit());
  }

  #pinch(e) {
    if (!this.touches.has(e.pointerId)) return;
    const before = [...this.touches.values()];
    this.touches.set(e.pointerId, [e.clientX, e.clientY]);
    if (!state.closeUp || this.touches.size !== 2) return;
    const after = [...this.touches.values()];
    const gap = (pts) => Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]);
    if (gap(before) > 0) this.zoomBy(gap(after) / gap(before));
  }

  /** Glide up to painting `id` until it fills the view; resolves when there. */
  async enter(id) {
    const p = this.hung.get(id);
    if (!p) return;
    if (!state.closeUp) this.#rememberBack(p);
    document.body.classList.add("closeup");
    update({ closeUp: id, closeUpSharp: false, closeUpBlurred: false, zoom: 1 });
    this.#setZoom(1);
    this.spot = { p, dist: this.#distance(p), along: 0, up: 0 };
    this.sharpen(id).then((shown) => state.closeUp === id && update({ closeUpSharp: shown, closeUpBlurred: !shown }));
    const arrived = await this.visitor.glideTo(this.#target());
    if (arrived && state.closeUp === id) update({ closeUpReady: true });
  }

  // Where the visitor stood, to step back to; when that was the painting's framing, its framing as it is then
  // (the phone may have turned meanwhile).
  #rememberBack(p) {
    const v = this.visitor;
    const framed = this.viewOf(p);
    this.back = { x: v.x, z: v.z, yaw: v.yaw, pitch: v.pitch, framed: Math.hypot(v.x - framed.x, v.z - framed.z) < 0.05 ? p : null };
  }

  #distance(p) {
    const share = this.getShare();
    const span = 2 * Math.tan(VFOV / 2);
    return Math.max(p.size.h / (FILL * span * share.h), p.size.w / (FILL * span * this.camera.aspect * share.w), 0.2);
  }

  #refit() {
    if (!this.spot) return;
    this.spot.dist = this.#distance(this.spot.p);
    if (this.visitor.gliding) this.visitor.retarget(this.#target());
    else this.panBy(0, 0);
  }

  #target() {
    const { p, dist, along, up } = this.spot;
    const side = [p.normal[1], -p.normal[0]]; // along the wall, to the viewer's right
    return {
      x: p.centre[0] + p.normal[0] * dist + side[0] * along,
      z: p.centre[1] + p.normal[1] * dist + side[1] * along,
      y: p.centreY + up,
      yaw: Math.atan2(p.normal[0], p.normal[1]),
      pitch: 0,
    };
  }

  #setZoom(z) {
    this.camera.zoom = z;
    this.camera.updateProjectionMatrix();
    update({ zoom: z });
    this.changed();
  }

  zoomBy(factor) {
    if (!state.closeUp) return;
    this.#setZoom(Math.min(MAX_ZOOM, Math.max(1, this.camera.zoom * factor)));
    this.panBy(0, 0);
  }

  /** Move across the painting by a drag of (dx, dy) CSS pixels; keeps some of it in view. */
  panBy(dx, dy) {
    if (!this.spot || this.visitor.gliding) return;
    const { p, dist } = this.spot;
    const perPixel = (2 * Math.tan(VFOV / 2) * dist) / (this.canvas.clientHeight || 1) / this.camera.zoom;
    const clamp = (v, half) => Math.max(-half, Math.min(half, v));
    this.spot.along = clamp(this.spot.along - dx * perPixel, p.size.w / 2);
    this.spot.up = clamp(this.spot.up + dy * perPixel, p.size.h / 2);
    this.visitor.place(this.#target());
    this.changed();
  }

  /** Step back to where the visitor stood; `glide` false puts them there at once. */
  exit({ glide = true } = {}) {
    if (!state.closeUp) return;
    this.leave();
    if (this.back) {
      const to = this.back.framed ? this.viewOf(this.back.framed) : this.back;
      if (glide) this.visitor.glideTo(to);
      else this.visitor.place(to);
    }
  }

  /** End the close-up where the visitor is (they walk or go to another work); the eye height comes back by itself. */
  leave() {
    if (!state.closeUp) return;
    document.body.classList.remove("closeup");
    this.spot = null;
    this.touches.clear();
    this.#setZoom(1);
    update({ closeUp: null, closeUpReady: false, closeUpSharp: false, closeUpBlurred: false });
  }
}
