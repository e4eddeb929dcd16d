// Pure geometry of the exhibition: rooms in an enfilade along +x, doorways between them, paintings hung
// on the walls in visiting order, the spot to view each from, and the boxes the visitor collides with.
// Units are metres; y is up. No three.js here, so the layout can be reasoned about (and tested) alone.

export const DIMS = {
  eye: 1.6,
  hangCentre: 1.55, // museum standard: the centre of a painting a little under eye level
  minBottom: 0.45,
  wallHeight: 3.6,
  wall: 0.24, // wall thickness
  doorWidth: 1.8,
  doorHeight: 2.7,
  playerRadius: 0.35,
  frame: 0.06, // frame moulding width
  plaqueWidth: 0.3,
  plaqueHeight: 0.38,
  plaqueGap: 0.12,
  cornerMargin: 0.55, // free wall kept next to corners and doorways
  minGap: 0.8, // least free wall between two hung works
  defaultArea: 1.1, // m^2 of canvas when the curator gives no size_cm
};

const MAX_W = 4.0;
const MAX_H = 2.3;

/** Canvas size in metres: true aspect ratio, true area when size_cm is known. */
export function paintingSize(art) {
  const w0 = art.width || art.images?.thumb?.width || 1;
  const h0 = art.height || art.images?.thumb?.height || 1;
  const aspect = w0 / h0;
  let area = DIMS.defaultArea;
  const cm = art.size_cm;
  if (Array.isArray(cm) && cm.length === 2 && cm[0] > 0 && cm[1] > 0) area = (cm[0] / 100) * (cm[1] / 100);
  let w = Math.sqrt(area * aspect);
  let h = Math.sqrt(area / aspect);
  const shrink = Math.min(1, MAX_W / w, MAX_H / h);
  w *= shrink;
  h *= shrink;
  return { w, h };
}

/** Footprint along the wall: canvas, frame and the plaque to its right. */
function footprint(size) {
  return size.w + 2 * DIMS.frame + DIMS.plaqueGap + DIMS.plaqueWidth;
}

/** The rooms' artwork ids: the site data's layout, or chunks of per_room in artwork order. */
export function roomIds(data) {
  const rooms = data.layout?.rooms;
  const known = new Set(data.artworks.map((a) => a.id));
  if (Array.isArray(rooms) && rooms.length) {
    const cleaned = rooms.map((r) => r.filter((id) => known.has(id))).filter((r) => r.length);
    if (cleaned.length) return cleaned;
  }
  const per = Math.max(1, data.layout?.per_room || 6);
  const out = [];
  for (let i = 0; i < data.artworks.length; i += per) out.push(data.artworks.slice(i, i + per).map((a) => a.id));
  return out;
}

// A hanging segment: a stretch of wall between corners/doorways. `dir` runs along the wall in visiting
// order, which is always the viewer's right when facing the wall; `normal` points into the room.
function segment(wall, sx, sz, dir, normal, length) {
  return { wall, start: [sx, sz], dir, normal, length };
}

function roomSegments(x0, x1, width, hasEntry, hasExit) {
  const half = width / 2;
  const d = DIMS.doorWidth / 2;
  const side = half - d;
  const segs = [segment("left", x0, -half, [1, 0], [0, 1], x1 - x0)];
  if (hasExit) {
    segs.push(segment("exit-left", x1, -half, [0, 1], [-1, 0], side));
    segs.push(segment("exit-right", x1, d, [0, 1], [-1, 0], side));
  } else {
    segs.push(segment("exit", x1, -half, [0, 1], [-1, 0], width));
  }
  segs.push(segment("right", x1, half, [-1, 0], [0, -1], x1 - x0));
  if (hasEntry) {
    segs.push(segment("entry-right", x0, half, [0, -1], [1, 0], side));
    segs.push(segment("entry-left", x0, -d, [0, -1], [1, 0], side));
  } else {
    segs.push(segment("entry", x0, half, [0, -1], [1, 0], width));
  }
  return segs;
}

// Share n works between segments in proportion to their usable length (largest remainder), keeping order.
// Without `useEntry` the wall behind a visitor who walks in stays bare.
function shareCounts(segs, n, useEntry) {
  const usable = segs.map((s) => (useEntry || !s.wall.startsWith("entry") ? Math.max(0, s.length - 2 * DIMS.cornerMargin) : 0));
  const total = usable.reduce((a, b) => a + b, 0) || 1;
  const exact = usable.map((u) => (n * u) / total);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k][1]] += 1;
  return counts;
}

function fits(seg, sizes) {
  if (!sizes.length) return true;
  const need = sizes.reduce((a, s) => a + footprint(s), 0) + (sizes.length - 1) * DIMS.minGap;
  return need <= seg.length - 2 * DIMS.cornerMargin;
}

function hangRoom(x0, width, sizes, hasEntry, hasExit) {
  // Grow the room's depth until every segment holds its share of the works.
  for (let depth = Math.max(6, width - 1.5); depth < 400; depth += 0.5) {
    const segs = roomSegments(x0, x0 + depth, width, hasEntry, hasExit);
    for (const useEntry of [false, true]) {
      const counts = shareCounts(segs, sizes.length, useEntry);
      let k = 0;
      const groups = counts.map((c) => sizes.slice(k, (k += c)));
      if (segs.every((s, i) => fits(s, groups[i]))) return { depth, segs, groups };
    }
  }
  throw new Error("imaudible: cannot hang this room (a painting is too large)");
}

function place(seg, sizes, firstIndex) {
  // Spread the spare wall evenly over the gaps, on top of the least gap between works and at the ends.
  const used = sizes.reduce((a, s) => a + footprint(s), 0);
  const spare = (seg.length - used - (sizes.length - 1) * DIMS.minGap - 2 * DIMS.cornerMargin) / (sizes.length + 1);
  const gap = DIMS.minGap + spare;
  const out = [];
  let along = DIMS.cornerMargin + spare;
  sizes.forEach((size, i) => {
    const cAlong = along + DIMS.frame + size.w / 2;
    const pAlong = along + footprint(size) - DIMS.plaqueWidth / 2;
    const at = (a) => [seg.start[0] + seg.dir[0] * a, seg.start[1] + seg.dir[1] * a];
    const centreY = Math.max(DIMS.hangCentre, DIMS.minBottom + size.h / 2 + DIMS.frame);
    out.push({ index: firstIndex + i, size, wall: seg.wall, normal: seg.normal, centre: at(cAlong), centreY, plaque: at(pAlong) });
    along += footprint(size) + gap;
  });
  return out;
}

const VFOV = (70 * Math.PI) / 180; // the camera's vertical field of view

/**
 * Where to stand to see a painting whole with its plaque, on a screen of the given aspect ratio, and
 * which way to look (yaw in radians; 0 looks along -z). `share` is the part of the view the panels leave
 * free ({w, h}, fractions); the camera's optical centre is the centre of that part.
 */
export function viewpoint(p, aspect = 16 / 9, share = { w: 1, h: 1 }) {
  const span = 2 * Math.tan(VFOV / 2); // visible height per metre of distance
  const tall = (p.size.h + 2 * DIMS.frame) / (0.82 * span * share.h);
  // The plaque hangs to the right: look at the middle of painting and plaque (staying on the painting),
  // except on an upright (phone) view, where the panel reads the plaque out and the painting takes the width.
  const upright = aspect < 1;
  const label = DIMS.plaqueGap + DIMS.plaqueWidth;
  const shift = upright ? 0 : Math.min(label / 2, 0.4 * p.size.w);
  const across = upright ? p.size.w + 2 * DIMS.frame : p.size.w + 2 * DIMS.frame + label + 2 * (label / 2 - shift);
  const wide = (across + 0.1) / ((upright ? 0.96 : 0.92) * span * aspect * share.w);
  const want = Math.max(tall, wide, 1.2);
  const dist = Math.min(want, p.free - DIMS.playerRadius - 0.3);
  const right = [p.normal[1], -p.normal[0]]; // along the wall, to the viewer's right
  const x = p.centre[0] + p.normal[0] * dist + right[0] * shift;
  const z = p.centre[1] + p.normal[1] * dist + right[1] * shift;
  const yaw = Math.atan2(p.normal[0], p.normal[1]);
  // Level gaze: a tilted camera would draw the frame as a trapezoid at this close range.
  return { x, z, yaw, pitch: 0, dist };
}

function wallBoxes(rooms, width) {
  const t = DIMS.wall;
  const half = width / 2;
  const d = DIMS.doorWidth / 2;
  const boxes = [];
  const first = rooms[0];
  const last = rooms[rooms.length - 1];
  // Long side walls, one per room so each room can carry its own colour.
  rooms.forEach((r, i) => {
    const xa = r.x0 - (i === 0 ? t : t / 2);
    const xb = r.x1 + (i === rooms.length - 1 ? t : t / 2);
    boxes.push({ room: i, kind: "side", min: [xa, -half - t], max: [xb, -half] });
    boxes.push({ room: i, kind: "side", min: [xa, half], max: [xb, half + t] });
  });
  boxes.push({ room: 0, kind: "end", min: [first.x0 - t, -half], max: [first.x0, half] });
  boxes.push({ room: rooms.length - 1, kind: "end", min: [last.x1, -half], max: [last.x1 + t, half] });
  // Cross walls with a doorway between consecutive rooms.
  for (let i = 0; i + 1 < rooms.length; i++) {
    const xa = rooms[i].x1;
    const xb = rooms[i + 1].x0;
    boxes.push({ room: i, kind: "cross", min: [xa, -half], max: [xb, -d] });
    boxes.push({ room: i, kind: "cross", min: [xa, d], max: [xb, half] });
    boxes.push({ room: i, kind: "lintel", min: [xa, -d], max: [xb, d], fromY: DIMS.doorHeight });
  }
  return boxes;
}

/**
 * The whole exhibition for the site data: rooms, hung paintings (in visiting order), wall boxes, doors.
 * Every artwork appears exactly once, in the order of `layout.rooms`.
 */
export function planGallery(data) {
  const byId = new Map(data.artworks.map((a) => [a.id, a]));
  const ids = roomIds(data);
  const sizesById = new Map(data.artworks.map((a) => [a.id, paintingSize(a)]));
  // Room width: room for a typical work on each side of a doorway, and for a full room to be about square
  // (its walls, ~4 widths, hold its works). Wider works go on the long walls: hangRoom deepens the room.
  const prints = [...sizesById.values()].map(footprint).sort((a, b) => a - b);
  const typical = prints[Math.floor(prints.length / 2)] || 1;
  const fullest = Math.max(...ids.map((r) => r.reduce((a, id) => a + footprint(sizesById.get(id)) + DIMS.minGap, 0)));
  const width = Math.min(14, Math.max(7.5, Math.min(10, DIMS.doorWidth + 2 * (typical + 2 * DIMS.cornerMargin)), (fullest + DIMS.doorWidth) / 4));
  const rooms = [];
  const paintings = [];
  let x0 = 0;
  ids.forEach((roomArt, r) => {
    const sizes = roomArt.map((id) => sizesById.get(id));
    const { depth, segs, groups } = hangRoom(x0, width, sizes, r > 0, r < ids.length - 1);
    const room = { index: r, x0, x1: x0 + depth, ids: roomArt, paintings: [] };
    let k = 0;
    segs.forEach((seg, s) => {
      for (const p of place(seg, groups[s], k)) {
        const id = roomArt[p.index];
        const hung = { ...p, id, art: byId.get(id), room: r, order: paintings.length };
        hung.free = p.normal[0] !== 0 ? room.x1 - room.x0 : width; // floor in front of the wall
        hung.view = viewpoint(hung);
        paintings.push(hung);
        room.paintings.push(hung);
      }
      k += groups[s].length;
    });
    rooms.push(room);
    x0 += depth + DIMS.wall;
  });
  const doors = rooms.slice(0, -1).map((r, i) => ({ between: [i, i + 1], x: (r.x1 + rooms[i + 1].x0) / 2 }));
  return { width, rooms, paintings, doors, walls: wallBoxes(rooms, width) };
}

/** Where a visit begins: in the first room's entrance corner, looking across it to the far wall. */
export function entranceView(plan) {
  const r = plan.rooms[0];
  const x = r.x0 + 0.9;
  const z = plan.width / 2 - 1.2;
  const dx = r.x1 - x;
  const dz = -plan.width / 4 - z;
  return { x, z, yaw: Math.atan2(-dx, -dz), pitch: -0.03 };
}

/** Index of the room a point is in (or nearest to, along the enfilade). */
export function roomAt(plan, x) {
  for (const r of plan.rooms) if (x <= r.x1 + DIMS.wall / 2) return r.index;
  return plan.rooms.length - 1;
}

/**
 * Move a circle of the player's radius from (x, z) by (dx, dz) without entering a wall box; each axis is
 * resolved on its own so the visitor slides along walls instead of sticking to them.
 */
export function collide(plan, x, z, dx, dz) {
  const r = DIMS.playerRadius;
  const blocked = (px, pz) =>
    plan.walls.some((b) => px > b.min[0] - r && px < b.max[0] + r && pz > b.min[1] - r && pz < b.max[1] + r && b.kind !== "lintel");
  let nx = x + dx;
  if (blocked(nx, z)) nx = x;
  let nz = z + dz;
  if (blocked(nx, nz)) nz = z;
  return [nx, nz];
}

/** Points to walk through from one spot to another: straight in a room, through doorway centres between rooms. */
export function route(plan, from, to) {
  const a = roomAt(plan, from[0]);
  const b = roomAt(plan, to[0]);
  const pts = [];
  const step = a < b ? 1 : -1;
  for (let r = a; r !== b; r += step) {
    const door = plan.doors[Math.min(r, r + step)];
    const off = DIMS.wall / 2 + DIMS.playerRadius + 0.25;
    pts.push([door.x - step * off, 0], [door.x + step * off, 0]);
  }
  pts.push(to);
  return pts;
}
