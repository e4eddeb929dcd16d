// `window.imaudible.debug`: hooks for the browser tests and for anyone inspecting the gallery. They put
// the visitor somewhere and report what is on screen; they never fake what the page does.
import { Vector3 } from "three";
import { DIMS } from "./layout.js";

export function debugApi({ ways, plan, hung, camera, canvas, visitor, textures, deck, pick, focus, afterMove, rendered, viewOf, busy }) {
  const toScreen = (x, y, z) => {
    const v = new Vector3(x, y, z).project(camera);
    const r = canvas.getBoundingClientRect();
    return { x: r.left + ((v.x + 1) / 2) * r.width, y: r.top + ((1 - v.y) / 2) * r.height, v };
  };
  async function settle() {
    await rendered();
    await rendered();
    while (busy()) await rendered();
  }
  return {
    /** Stand in front of painting `id` at once; resolves after its room is textured and the view is still. */
    aimAt(id) {
      const p = hung.get(id);
      if (!p) throw new Error(`no painting ${id}`);
      visitor.place(viewOf(p));
      focus(id);
      afterMove(performance.now());
      return textures.ensure(p.room).then(settle);
    },
    /** Stand at {x, z, yaw, pitch}; resolves after the next frame. */
    place(view) {
      visitor.place(view);
      afterMove(performance.now());
      return rendered();
    },
    /** The painting at the centre of the view, or null. */
    facing: () => pick(null)?.paintingId ?? null,
    /** The on-screen box of painting `id`'s canvas (without frame), in CSS pixels. */
    bounds(id) {
      const p = hung.get(id);
      const along = [p.normal[1], -p.normal[0]];
      const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([a, b]) =>
        toScreen(p.centre[0] + (along[0] * a * p.size.w) / 2, p.centreY + (b * p.size.h) / 2, p.centre[1] + (along[1] * a * p.size.w) / 2),
      );
      const xs = corners.map((c) => c.x);
      const ys = corners.map((c) => c.y);
      return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
    },
    /** Where painting `id`'s centre is on screen, and whether that is inside the view. */
    project(id) {
      const p = hung.get(id);
      const { x, y, v } = toScreen(p.centre[0], p.centreY, p.centre[1]);
      return { x, y, inView: Math.abs(v.x) < 1 && Math.abs(v.y) < 1 && v.z < 1 };
    },
    /** Select painting `id` (plaque, cue) without moving; resolves after the next frame. */
    select(id) {
      focus(id, { announce: false });
      return rendered();
    },
    /** The on-screen box of painting `id`'s wall label, in CSS pixels. */
    plaqueBounds(id) {
      const p = hung.get(id);
      const along = [p.normal[1], -p.normal[0]];
      const [w, h] = [DIMS.plaqueWidth, DIMS.plaqueHeight];
      const corners = [[-1, -1], [1, 1]].map(([a, b]) =>
        toScreen(p.plaque[0] + (along[0] * a * w) / 2, 1.35 + (b * h) / 2, p.plaque[1] + (along[1] * a * w) / 2),
      );
      const xs = corners.map((c) => c.x);
      const ys = corners.map((c) => c.y);
      return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
    },
    /** Resolves once the view is still: no glide and no re-framing around the panels under way. */
    settle,
    /** The image file painting `id` shows now (relative URL), or null. */
    texture: (id) => textures.built.paintings.get(id)?.textureUrl ?? null,
    /** Where plan point [x, z] is on the minimap, in page (client) pixels. */
    minimapPoint(xz) {
      const r = ways.minimap.canvas.getBoundingClientRect();
      const [x, y] = ways.minimap.toScreen(xz);
      return { x: r.left + x, y: r.top + y };
    },
    audio: () => deck.describe(),
    rendered,
    view: () => ({ x: visitor.x, z: visitor.z, yaw: visitor.yaw, pitch: visitor.pitch }),
    /** How long the latest glide to a painting took (planned, in seconds), or null before the first. */
    lastGlideSeconds: () => visitor.lastGlide?.duration ?? null,
    plan: () => ({
      bounds: plan.bounds,
      rooms: plan.rooms.map((r) => ({ x0: r.x0, x1: r.x1, z0: r.z0, z1: r.z1, ids: r.ids, links: r.links.map((l) => l.to) })),
      doors: plan.doors.map(({ between, x, z, axis }) => ({ between, x, z, axis })),
    }),
    /** Which rooms are drawn and which doorways are shown closed. */
    drawn: () => ({ rooms: textures.built.rooms.map((r) => r.group.visible), closedDoors: textures.built.doors.map((d) => d.visible) }),
  };
}
