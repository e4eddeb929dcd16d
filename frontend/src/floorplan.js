// The floor plan: which cell of a 2-D grid each room takes (a serpentine grid, or a ring around a courtyard
// for a mood walk), the doorways between rooms that follow each other, and the wall boxes around every room.
// Pure geometry like layout.js; units are metres, the plan lies in x (east) and z (south).

export const SIDES = ["N", "E", "S", "W"];
const STEP = { N: [0, -1], E: [1, 0], S: [0, 1], W: [-1, 0] };
const OPPOSITE = { N: "S", E: "W", S: "N", W: "E" };

/** A serpentine over a near-square grid: each room shares a wall with the one before it. */
function gridCells(n) {
  const cols = Math.ceil(Math.sqrt(n));
  const cells = [];
  for (let k = 0; k < n; k++) {
    const row = Math.floor(k / cols);
    const i = k % cols;
    cells.push([row % 2 ? cols - 1 - i : i, row]);
  }
  return cells;
}

/** The rim of a grid, clockwise: a walk that comes back to where it began when every rim cell is taken. */
function ringCells(n) {
  const around = Math.ceil(n / 2) + 2; // cols + rows, so that the rim holds n (or n + 1) rooms
  const rows = Math.max(2, Math.floor(around / 2));
  const cols = around - rows;
  const cells = [];
  for (let c = 0; c < cols; c++) cells.push([c, 0]);
  for (let r = 1; r < rows; r++) cells.push([cols - 1, r]);
  for (let c = cols - 2; c >= 0; c--) cells.push([c, rows - 1]);
  for (let r = rows - 2; r > 0; r--) cells.push([0, r]);
  return cells.slice(0, n);
}

function sideTowards(a, b) {
  return SIDES.find((s) => a[0] + STEP[s][0] === b[0] && a[1] + STEP[s][1] === b[1]);
}

/**
 * Cells and doorways for n rooms in visiting order. Returns {cells, links}: links[i] lists
 * {side, to} for room i, one per doorway.
 */
export function arrangeRooms(n, ring = false) {
  const cells = ring && n >= 4 ? ringCells(n) : gridCells(n);
  const links = cells.map(() => []);
  const join = (a, b) => {
    const side = sideTowards(cells[a], cells[b]);
    if (!side) return;
    links[a].push({ side, to: b });
    links[b].push({ side: OPPOSITE[side], to: a });
  };
  for (let i = 0; i + 1 < n; i++) join(i, i + 1);
  if (ring && n >= 4) join(n - 1, 0); // closes the ring when the rim is full
  return { cells, links };
}

/** Column x-ranges and row z-ranges for cell sizes, walls of thickness t between them. */
export function cellBounds(colWidths, rowDepths, t) {
  const starts = (sizes) => {
    const out = [];
    let at = 0;
    for (const s of sizes) {
      out.push(at);
      at += s + t;
    }
    return out;
  };
  return { xs: starts(colWidths), zs: starts(rowDepths) };
}

/**
 * Wall boxes of one room (rectangle x0..x1, z0..z1): a full wall where no room is next door, half a wall
 * where a neighbour owns the other half (so each face has its own room's colour), and a doorway with a
 * lintel in the middle of each side that has a door.
 */
export function roomWalls(room, occupied, doorSides, dims) {
  const t = dims.wall;
  const thick = Object.fromEntries(SIDES.map((s) => [s, occupied(s) ? t / 2 : t]));
  const { x0, x1, z0, z1 } = room;
  const spans = {
    N: { along: 0, lo: x0 - thick.W, hi: x1 + thick.E, box: [z0 - thick.N, z0] },
    S: { along: 0, lo: x0 - thick.W, hi: x1 + thick.E, box: [z1, z1 + thick.S] },
    E: { along: 1, lo: z0, hi: z1, box: [x1, x1 + thick.E] },
    W: { along: 1, lo: z0, hi: z1, box: [x0 - thick.W, x0] },
  };
  const boxes = [];
  const push = (side, a, b, extra = {}) => {
    const s = spans[side];
    const min = s.along === 0 ? [a, s.box[0]] : [s.box[0], a];
    const max = s.along === 0 ? [b, s.box[1]] : [s.box[1], b];
    boxes.push({ room: room.index, side, kind: "wall", min, max, ...extra });
  };
  for (const side of SIDES) {
    const s = spans[side];
    if (!doorSides.includes(side)) {
      push(side, s.lo, s.hi);
      continue;
    }
    const mid = s.along === 0 ? (x0 + x1) / 2 : (z0 + z1) / 2;
    const d = dims.doorWidth / 2;
    push(side, s.lo, mid - d);
    push(side, mid + d, s.hi);
    push(side, mid - d, mid + d, { kind: "lintel", fromY: dims.doorHeight });
  }
  return boxes;
}

/** The middle of a room's floor, [x, z]. */
export function roomCentre(room) {
  return [(room.x0 + room.x1) / 2, (room.z0 + room.z1) / 2];
}

/** Where the doorway on a room's side is: its centre on the wall's middle plane, and its axis of travel. */
export function doorway(room, side, t) {
  const [mx, mz] = roomCentre(room);
  const h = t / 2;
  if (side === "N") return { x: mx, z: room.z0 - h, axis: "z" };
  if (side === "S") return { x: mx, z: room.z1 + h, axis: "z" };
  if (side === "E") return { x: room.x1 + h, z: mz, axis: "x" };
  return { x: room.x0 - h, z: mz, axis: "x" };
}

/** Doorway hops from room `from` to every room (breadth first); Infinity where no doorway leads. */
export function hops(plan, from) {
  const dist = plan.rooms.map(() => Infinity);
  dist[from] = 0;
  const queue = [from];
  while (queue.length) {
    const r = queue.shift();
    for (const { to } of plan.rooms[r].links) {
      if (dist[to] === Infinity) {
        dist[to] = dist[r] + 1;
        queue.push(to);
      }
    }
  }
  return dist;
}

/** The rooms passed through, in order, from room a to room b (both included). */
export function roomPath(plan, a, b) {
  const prev = new Map([[a, null]]);
  const queue = [a];
  while (queue.length && !prev.has(b)) {
    const r = queue.shift();
    for (const { to } of plan.rooms[r].links) {
      if (!prev.has(to)) {
        prev.set(to, r);
        queue.push(to);
      }
    }
  }
  if (!prev.has(b)) return [a];
  const path = [];
  for (let r = b; r !== null; r = prev.get(r)) path.unshift(r);
  return path;
}
