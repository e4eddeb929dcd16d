// Pure geometry of the exhibition: rooms on a 2-D plan (floorplan.js), doorways between them, paintings hung
// on the walls in visiting order, the spot to view each from, and the boxes the visitor collides with.
// Units are metres; y is up. No three.js here, so the layout can be reasoned about (and tested) alone.

import { SIDES, arrangeRooms, cellBounds, doorway, roomPath, roomWalls } from "./floorplan.js";

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
const SIDE_GEOMETRY = {
  N: (r) => ({ start: [r.x0, r.z0], dir: [1, 0], normal: [0, 1], length: r.x1 - r.x0 }),
  E: (r) => ({ start: [r.x1, r.z0], dir: [0, 1], normal: [-1, 0], length: r.z1 - r.z0 }),
  S: (r) => ({ start: [r.x1, r.z1], dir: [-1, 0], normal: [0, -1], length: r.x1 - r.x0 }),
  W: (r) => ({ start: [r.x0, r.z1], dir: [0, -1], normal: [1, 0], length: r.z1 - r.z0 }),
};

/** The room's hanging walls in visiting order: clockwise from the wall after the entrance, which comes last. */
function roomSegments(rect, doorSides, entrySide) {
  const first = entrySide ? (SIDES.indexOf(entrySide) + 1) % 4 : 0;
  const segs = [];
  for (let k = 0; k < 4; k++) {
    const side = SIDES[(first + k) % 4];
    const g = SIDE_GEOMETRY[side](rect);
    const entry = side === entrySide;
    if (!doorSides.includes(side)) {
      segs.push({ wall: side, entry, ...g });
      continue;
    }
    const part = (g.length - DIMS.doorWidth) / 2;
    const at = (a) => [g.start[0] + g.dir[0] * a, g.start[1] + g.dir[1] * a];
    segs.push({ wall: `${side}-a`, entry, ...g, length: part });
    segs.push({ wall: `${side}-b`, entry, ...g, start: at(part + DIMS.doorWidth), length: part });
  }
  return segs;
}

// Share n works between segments in proportion to their usable length (largest remainder), keeping order.
// Without `useEntry` the wall behind a visitor who walks in stays bare.
function shareCounts(segs, n, useEntry) {
  const usable = segs.map((s) => (useEntry || !s.entry ? Math.max(0, s.length - 2 * DIMS.cornerMargin) : 0));
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

/** How the room's works go on its walls, or null when they do not fit. */
function hangRoom(rect, sizes, doorSides, entrySide) {
  const segs = roomSegments(rect, doorSides, entrySide);
  for (const useEntry of [false, true]) {
    const counts = shareCounts(segs, sizes.length, useEntry);
    let k = 0;
    const groups = counts.map((c) => sizes.slice(k, (k += c)));
    if (segs.every((s, i) => fits(s, groups[i]))) return { segs, groups };
  }
  return null;
}

// Rooms are at least this wide and deep: room to step back from a work and to see it across the room.
const MIN_ROOM = 7;

/** The least square room (side in metres) that holds these works; the room's floor grows with its works. */
function squareFor(sizes, doorSides, entrySide) {
  for (let side = MIN_ROOM; side < 400; side += 0.5) {
    if (hangRoom({ x0: 0, x1: side, z0: 0, z1: side }, sizes, doorSides, entrySide)) return side;
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

function hangAll(ids, sizes, rects, doorSides, entrySides) {
  return ids.map((_, i) => hangRoom(rects[i], sizes[i], doorSides[i], entrySides[i]));
}

/**
 * The whole exhibition for the site data: rooms on a 2-D plan (each room's floor from its works), hung
 * paintings (in visiting order), doorways, wall boxes. Every artwork appears exactly once, in the order of
 * `layout.rooms`; a mood walk (`layout.order: mood`) goes round a ring of rooms.
 */
export function planGallery(data) {
  const byId = new Map(data.artworks.map((a) => [a.id, a]));
  const ids = roomIds(data);
  const sizesById = new Map(data.artworks.map((a) => [a.id, paintingSize(a)]));
  const sizes = ids.map((room) => room.map((id) => sizesById.get(id)));
  const { cells, links } = arrangeRooms(ids.length, data.layout?.order === "mood");
  const doorSides = links.map((l) => l.map((x) => x.side));
  const entrySides = links.map((l, i) => l.find((x) => x.to === i - 1)?.side ?? null);
  const colW = Array(Math.max(...cells.map((c) => c[0])) + 1).fill(0);
  const rowD = Array(Math.max(...cells.map((c) => c[1])) + 1).fill(0);
  cells.forEach(([c, r], i) => {
    const side = squareFor(sizes[i], doorSides[i], entrySides[i]);
    colW[c] = Math.max(colW[c], side);
    rowD[r] = Math.max(rowD[r], side);
  });
  // A room takes its whole cell (its column's width, its row's depth): proportions vary with the
  // neighbours' works. Where the new shape shares the works out badly, the cell grows until they fit.
  let rects;
  let hangs;
  for (let tries = 0; ; tries++) {
    const { xs, zs } = cellBounds(colW, rowD, DIMS.wall);
    rects = cells.map(([c, r]) => ({ x0: xs[c], x1: xs[c] + colW[c], z0: zs[r], z1: zs[r] + rowD[r] }));
    hangs = hangAll(ids, sizes, rects, doorSides, entrySides);
    const bad = hangs.findIndex((h) => !h);
    if (bad < 0) break;
    if (tries > 400) throw new Error("imaudible: cannot hang this room (a painting is too large)");
    colW[cells[bad][0]] += 0.5;
    rowD[cells[bad][1]] += 0.5;
  }
  const taken = new Map(cells.map(([c, r], i) => [`${c},${r}`, i]));
  const rooms = [];
  const paintings = [];
  const walls = [];
  ids.forEach((roomArt, r) => {
    const room = { index: r, ...rects[r], cell: cells[r], ids: roomArt, links: links[r], paintings: [] };
    const { segs, groups } = hangs[r];
    let k = 0;
    segs.forEach((seg, s) => {
      for (const p of place(seg, groups[s], k)) {
        const id = roomArt[p.index];
        const hung = { ...p, id, art: byId.get(id), room: r, order: paintings.length };
        hung.free = p.normal[0] !== 0 ? room.x1 - room.x0 : room.z1 - room.z0; // floor in front of the wall
        hung.view = viewpoint(hung);
        paintings.push(hung);
        room.paintings.push(hung);
      }
      k += groups[s].length;
    });
    room.segments = segs;
    const occupied = (side) => {
      const step = { N: [0, -1], E: [1, 0], S: [0, 1], W: [-1, 0] }[side];
      return taken.has(`${cells[r][0] + step[0]},${cells[r][1] + step[1]}`);
    };
    walls.push(...roomWalls(room, occupied, doorSides[r], DIMS));
    rooms.push(room);
  });
  const doors = [];
  rooms.forEach((room, i) => {
    for (const { side, to } of room.links) if (to > i) doors.push({ between: [i, to], side, ...doorway(room, side, DIMS.wall) });
  });
  const bounds = {
    x0: Math.min(...rooms.map((r) => r.x0)) - DIMS.wall,
    x1: Math.max(...rooms.map((r) => r.x1)) + DIMS.wall,
    z0: Math.min(...rooms.map((r) => r.z0)) - DIMS.wall,
    z1: Math.max(...rooms.map((r) => r.z1)) + DIMS.wall,
  };
  return { rooms, paintings, doors, walls, bounds };
}

/** Where a visit begins: in the first room's entrance corner, looking across it towards the way on. */
export function entranceView(plan) {
  const r = plan.rooms[0];
  const x = r.x0 + 0.9;
  const z = r.z1 - 1.2;
  const door = plan.doors.find((d) => d.between.includes(0));
  const [tx, tz] = door ? [door.x, door.z] : [r.x1, r.z0 + (r.z1 - r.z0) / 4];
  return { x, z, yaw: Math.atan2(-(tx - x), -(tz - z)), pitch: -0.03 };
}

/** Index of the room a point is in (a doorway belongs to both; the nearest room when outside all). */
export function roomAt(plan, x, z) {
  const h = DIMS.wall / 2;
  let best = 0;
  let bestGap = Infinity;
  for (const r of plan.rooms) {
    const gx = Math.max(r.x0 - h - x, 0, x - r.x1 - h);
    const gz = Math.max(r.z0 - h - z, 0, z - r.z1 - h);
    const gap = Math.hypot(gx, gz);
    if (gap === 0) return r.index;
    if (gap < bestGap) [best, bestGap] = [r.index, gap];
  }
  return best;
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
  const rooms = roomPath(plan, roomAt(plan, ...from), roomAt(plan, ...to));
  const pts = [];
  const off = DIMS.wall / 2 + DIMS.playerRadius + 0.25;
  for (let k = 0; k + 1 < rooms.length; k++) {
    const [a, b] = [rooms[k], rooms[k + 1]];
    const door = plan.doors.find((d) => d.between.includes(a) && d.between.includes(b));
    const target = plan.rooms[b];
    if (door.axis === "x") {
      const sign = Math.sign((target.x0 + target.x1) / 2 - door.x);
      pts.push([door.x - sign * off, door.z], [door.x + sign * off, door.z]);
    } else {
      const sign = Math.sign((target.z0 + target.z1) / 2 - door.z);
      pts.push([door.x, door.z - sign * off], [door.x, door.z + sign * off]);
    }
  }
  pts.push(to);
  return pts;
}
