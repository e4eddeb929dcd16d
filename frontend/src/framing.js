// The part of the canvas that the panels (top bar, plaque, player, buttons) leave free, and a camera
// whose optical centre sits in the middle of it, so a painting framed from its viewpoint is never
// covered by a panel.

const OVERLAYS = [".site-title", ".topnav", "#plaque-panel", "#player", ".stepper", ".hint-slot", "#joystick", "#closeup-bar"];

function visibleRect(el) {
  if (!el || el.hidden || el.closest("[hidden]")) return null;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? r : null;
}

/**
 * The largest box of `stage`'s rect left after cutting away each visible overlay from the side that keeps
 * the most area: {left, top, right, bottom, width, height} in CSS pixels.
 */
export function freeRect(stage, selectors = OVERLAYS) {
  const s = stage.getBoundingClientRect();
  let box = { left: s.left, top: s.top, right: s.right, bottom: s.bottom };
  for (const sel of selectors) {
    const r = visibleRect(document.querySelector(sel));
    if (!r || r.right <= box.left || r.left >= box.right || r.bottom <= box.top || r.top >= box.bottom) continue;
    const cuts = [
      { ...box, left: Math.max(box.left, r.right) },
      { ...box, right: Math.min(box.right, r.left) },
      { ...box, top: Math.max(box.top, r.bottom) },
      { ...box, bottom: Math.min(box.bottom, r.top) },
    ];
    const area = (b) => Math.max(0, b.right - b.left) * Math.max(0, b.bottom - b.top);
    box = cuts.reduce((best, b) => (area(b) > area(best) ? b : best));
  }
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
