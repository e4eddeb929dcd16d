// The part of the canvas that the panels (top bar, plaque, player, buttons) leave free, and a camera
// whose optical centre sits in the middle of it, so a painting framed from its viewpoint is never
// covered by a panel.
import { viewpoint } from "./layout.js";
import { state, update } from "./state.js";

const OVERLAYS = [".site-title", ".topnav", ".wayfinder", "#plaque-panel", "#player", ".stepper", ".hint-slot", "#joystick", "#closeup-bar", "#tour-bar"];

function visibleRect(el) {
  if (!el || el.hidden || el.closest("[hidden]")) return null;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? r : null;
}

const area = (b) => Math.max(0, b.right - b.left) * Math.max(0, b.bottom - b.top);
const overlaps = (r, b) => r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom;

/** The largest box inside `box` that none of `rects` overlaps: each is cut away from one of its sides. */
function largestClear(box, rects) {
  const i = rects.findIndex((r) => overlaps(r, box));
  if (i < 0) return box;
  const r = rects[i];
  const rest = rects.slice(i + 1);
  const cuts = [
    { ...box, left: r.right },
    { ...box, right: r.left },
    { ...box, top: r.bottom },
    { ...box, bottom: r.top },
  ].filter((b) => area(b) > 0);
  return cuts.map((b) => largestClear(b, rest)).reduce((best, b) => (area(b) > area(best) ? b : best), { ...box, right: box.left });
}

/**
 * The largest box of `stage`'s rect that no visible overlay covers (each overlay is cut away from the
 * side that, with the others, keeps the most area): {left, top, right, bottom, width, height} in CSS pixels.
 */
export function freeRect(stage, selectors = OVERLAYS) {
  const s = stage.getBoundingClientRect();
  const rects = selectors.map((sel) => visibleRect(document.querySelector(sel))).filter(Boolean);
  const box = largestClear({ left: s.left, top: s.top, right: s.right, bottom: s.bottom }, rects);
  return { ...box, width: box.right - box.left, height: box.bottom - box.top };
}

/**
 * Shift `camera`'s projection so its centre is the centre of `free` (within a stage of size w x h);
 * returns the free part's share of the view {w, h}, which the viewpoint distance needs.
 */
export function centreOn(camera, free, stageRect) {
  const w = stageRect.width;
  const h = stageRect.height;
  const cx = (free.left + free.right) / 2 - stageRect.left;
  const cy = (free.top + free.bottom) / 2 - stageRect.top;
  camera.aspect = w / h;
  camera.setViewOffset(w, h, w / 2 - cx, h / 2 - cy, w, h);
  camera.updateProjectionMatrix();
  return { w: Math.max(0.2, free.width / w), h: Math.max(0.2, free.height / h), x: cx, y: cy };
}

/**
 * Keeps the camera centred on the free part of the canvas; when a panel grows, shrinks or appears, the
 * painting the visitor stands in front of is framed again in the space left (state.framings counts it).
 */
export class Framer {
  constructor({ stage, renderer, camera, visitor, hung, changed }) {
    Object.assign(this, { stage, renderer, camera, visitor, hung, changed });
    this.share = { w: 1, h: 1, x: 0, y: 0 };
    this.centreNdc = [0, 0];
    this.pending = false;
    this.crosshair = document.querySelector(".crosshair");
  }

  /** Where to stand to see painting `p` framed in the free part of the view. */
  viewOf(p) {
    return viewpoint(p, this.camera.aspect, this.share);
  }

  frame() {
    const rect = this.stage.getBoundingClientRect();
    const size = [rect.width || window.innerWidth, rect.height || window.innerHeight];
    // Resizing the canvas reallocates its drawing buffer: only when the size really changed.
    if (size.join() !== this.size?.join()) this.renderer.setSize(size[0], size[1], false);
    this.size = size;
    this.share = centreOn(this.camera, freeRect(this.stage), rect);
    this.centreNdc = [(this.share.x / rect.width) * 2 - 1, 1 - (this.share.y / rect.height) * 2];
    if (this.crosshair) Object.assign(this.crosshair.style, { left: `${this.share.x}px`, top: `${this.share.y}px` });
    this.changed();
  }

  reframe() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(async () => {
      this.pending = false;
      const before = state.focusedId && this.hung.get(state.focusedId);
      const was = before && this.viewOf(before);
      this.frame();
      const v = this.visitor;
      // Standing at the old framing's viewpoint, or gliding to it (framed again while on the way).
      const at = v.gliding ? v.glide.target : v;
      if (was && !state.closeUp && Math.hypot(at.x - was.x, at.z - was.z) < 0.05) {
        const view = this.viewOf(before);
        if (v.gliding) v.retarget(view);
        // Under the loader nobody sees a glide: step there at once (no frames to draw).
        else if (state.ready) await v.glideTo(view);
        else v.place(view);
      }
      update({ framings: state.framings + 1 });
    });
  }

  /** Re-frame whenever the window or one of these elements changes size. */
  watch(selector) {
    window.addEventListener("resize", () => this.reframe());
    const watcher = new ResizeObserver(() => this.reframe());
    for (const el of document.querySelectorAll(selector)) watcher.observe(el);
  }
}
