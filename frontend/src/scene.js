// Builds the three.js scene from the plan: rooms (floor, walls, ceiling lights), framed paintings lit by
// spot pools, plaques. Paintings start as flat patches of their dominant colour until textures arrive.
import {
  AdditiveBlending,
  BoxGeometry,
  CanvasTexture,
  Color,
  CylinderGeometry,
  DataTexture,
  DirectionalLight,
  Fog,
  Frustum,
  Group,
  HemisphereLight,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  Matrix4,
  PlaneGeometry,
  RepeatWrapping,
  Scene,
  SRGBColorSpace,
} from "three";
import { hops } from "./floorplan.js";
import { DIMS } from "./layout.js";
import { drawSign } from "./sign.js";

const BOX = new BoxGeometry(1, 1, 1);
export const PLANE = new PlaneGeometry(1, 1);
// Untextured paintings and plaques show a 1x1 white map under their colour, so the real texture's arrival
// swaps an image but never the shader program (no recompile while the visitor looks).
export const BLANK = new DataTexture(new Uint8Array([255, 255, 255, 255]), 1, 1);
BLANK.needsUpdate = true;
const CAN = new CylinderGeometry(0.05, 0.07, 0.2, 10);

// Wall colours of real galleries, from calm to intense (rows) and dark to bright moods (columns).
const WALLS = { calmLow: "#cdd3d6", calmHigh: "#ebe6dc", intenseLow: "#7d3434", intenseHigh: "#c7a882" };

function mix(a, b, t) {
  return new Color(a).lerp(new Color(b), Math.min(1, Math.max(0, t)));
}

function roomColour(room) {
  const moods = room.paintings.map((p) => p.art.mood).filter(Boolean);
  const mean = (k) => (moods.length ? moods.reduce((s, m) => s + (m[k] ?? 0.5), 0) / moods.length : 0.4);
  const v = mean("valence");
  const a = mean("arousal");
  return mix(WALLS.calmLow, WALLS.calmHigh, v).lerp(mix(WALLS.intenseLow, WALLS.intenseHigh, v), Math.min(1, Math.max(0, (a - 0.3) * 1.6)));
}

function frameColour(art) {
  const year = parseInt(String(art.year || "").match(/\d{4}/)?.[0] || "0", 10);
  if (year && year < 1890) return "#9c7a3c"; // gilt for the older works
  return year && year < 1930 ? "#3a2b20" : "#1f1f1f";
}

function placeholderColour(art) {
  const palette = art.mood?.palette;
  return palette && palette.length ? palette[0].hex : "#8a8a8a";
}

function seeded(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function woodTexture() {
  const c = document.createElement("canvas");
  c.width = 512;
  c.height = 512;
  const ctx = c.getContext("2d");
  const rand = seeded(7);
  const rows = 8;
  for (let r = 0; r < rows; r++) {
    let x = -rand() * 512;
    while (x < 512) {
      const len = 180 + rand() * 260;
      const tone = 118 + rand() * 30;
      ctx.fillStyle = `rgb(${tone + 40}, ${tone + 10}, ${tone - 30})`;
      ctx.fillRect(x, (r * 512) / rows, len, 512 / rows);
      ctx.strokeStyle = "rgba(60, 35, 15, 0.5)";
      ctx.lineWidth = 2;
      ctx.strokeRect(x, (r * 512) / rows, len, 512 / rows);
      for (let g = 0; g < 5; g++) {
        ctx.strokeStyle = `rgba(80, 50, 25, ${0.08 + rand() * 0.1})`;
        ctx.beginPath();
        const y = (r * 512) / rows + rand() * (512 / rows);
        ctx.moveTo(x, y);
        ctx.lineTo(x + len, y + (rand() - 0.5) * 6);
        ctx.stroke();
      }
      x += len;
    }
  }
  const tex = new CanvasTexture(c);
  tex.colorSpace = SRGBColorSpace;
  tex.wrapS = tex.wrapT = RepeatWrapping;
  return tex;
}

function poolTexture() {
  const c = document.createElement("canvas");
  c.width = c.height = 128;
  const ctx = c.getContext("2d");
  const g = ctx.createRadialGradient(64, 52, 4, 64, 64, 64);
  g.addColorStop(0, "rgba(255, 240, 214, 1)");
  g.addColorStop(0.55, "rgba(255, 236, 205, 0.45)");
  g.addColorStop(1, "rgba(255, 236, 205, 0)");
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, 128, 128);
  const tex = new CanvasTexture(c);
  tex.colorSpace = SRGBColorSpace;
  return tex;
}

function box(material, min, max, y0, y1) {
  const m = new Mesh(BOX, material);
  m.scale.set(max[0] - min[0], y1 - y0, max[1] - min[1]);
  m.position.set((min[0] + max[0]) / 2, (y0 + y1) / 2, (min[1] + max[1]) / 2);
  return m;
}

function onWall(mesh, p, xz, y, out) {
  mesh.position.set(xz[0] + p.normal[0] * out, y, xz[1] + p.normal[1] * out);
  mesh.rotation.y = Math.atan2(p.normal[0], p.normal[1]);
  return mesh;
}

function buildRoomShell(room, walls, materials) {
  const g = new Group();
  const h = DIMS.wall / 2;
  const [xa, xb, za, zb] = [room.x0 - h, room.x1 + h, room.z0 - h, room.z1 + h];
  const [len, dep] = [xb - xa, zb - za];
  const floorGeo = new PlaneGeometry(len, dep);
  const uv = floorGeo.attributes.uv;
  for (let i = 0; i < uv.count; i++) uv.setXY(i, (uv.getX(i) * len) / 4, (uv.getY(i) * dep) / 4);
  const floor = new Mesh(floorGeo, materials.floor);
  floor.rotation.x = -Math.PI / 2;
  floor.position.set((xa + xb) / 2, 0, (za + zb) / 2);
  const ceiling = new Mesh(PLANE, materials.ceiling);
  ceiling.scale.set(len, dep, 1);
  ceiling.rotation.x = Math.PI / 2;
  ceiling.position.set((xa + xb) / 2, DIMS.wallHeight, (za + zb) / 2);
  g.add(floor, ceiling);
  const d = room.z1 - room.z0;
  for (const z of [room.z0 + d / 4, room.z1 - d / 4]) {
    const strip = new Mesh(PLANE, materials.lightStrip);
    strip.scale.set(Math.max(1, room.x1 - room.x0 - 2), 0.35, 1);
    strip.rotation.x = Math.PI / 2;
    strip.position.set((room.x0 + room.x1) / 2, DIMS.wallHeight - 0.01, z);
    g.add(strip);
  }
  const wall = new MeshLambertMaterial({ color: roomColour(room) });
  for (const b of walls) g.add(box(wall, b.min, b.max, b.fromY ?? 0, DIMS.wallHeight));
  // Skirting along every stretch of wall the works hang on (corner to corner or doorway).
  for (const seg of room.segments) {
    const end = [seg.start[0] + seg.dir[0] * seg.length, seg.start[1] + seg.dir[1] * seg.length];
    const inner = (pt) => [pt[0] + seg.normal[0] * 0.016, pt[1] + seg.normal[1] * 0.016];
    const pts = [seg.start, end, inner(seg.start), inner(end)];
    const lo = [0, 1].map((k) => Math.min(...pts.map((pt) => pt[k])));
    const hi = [0, 1].map((k) => Math.max(...pts.map((pt) => pt[k])));
    g.add(box(materials.skirting, lo, hi, 0, 0.1));
  }
  return g;
}

function buildPainting(p, materials) {
  const g = new Group();
  const { w, h } = p.size;
  const f = DIMS.frame;
  const frame = onWall(new Mesh(BOX, materials.frame(p.art)), p, p.centre, p.centreY, 0.03);
  frame.scale.set(w + 2 * f, h + 2 * f, 0.06);
  const canvasMat = new MeshBasicMaterial({ color: placeholderColour(p.art), map: BLANK });
  const canvas = onWall(new Mesh(PLANE, canvasMat), p, p.centre, p.centreY, 0.061);
  canvas.scale.set(w, h, 1);
  canvas.userData.paintingId = p.id;
  const pool = onWall(new Mesh(PLANE, materials.pool), p, p.centre, p.centreY + 0.3, 0.004);
  pool.scale.set(w + 1.6, h + 1.9, 1);
  pool.renderOrder = 1;
  const plaque = onWall(new Mesh(PLANE, new MeshBasicMaterial({ color: "#d8d4cc", map: BLANK })), p, p.plaque, 1.35, 0.012);
  plaque.scale.set(DIMS.plaqueWidth, DIMS.plaqueHeight, 1);
  const lamp = new Mesh(CAN, materials.lamp);
  lamp.position.set(p.centre[0] + p.normal[0] * 1.1, DIMS.wallHeight - 0.12, p.centre[1] + p.normal[1] * 1.1);
  lamp.rotation.set(p.normal[1] * 0.6, 0, -p.normal[0] * 0.6); // tilted towards the painting
  g.add(pool, frame, canvas, plaque, lamp);
  return { group: g, canvas, plaque, pool, placeholder: placeholderColour(p.art) };
}

const SIGN_METRES = 2.4; // the sign's width; its height follows its lines (at most 0.7 m, under the lintel's 0.9)

function signTexture({ label, title }) {
  const tex = new CanvasTexture(drawSign(document.createElement("canvas"), label, title));
  tex.colorSpace = SRGBColorSpace;
  return tex;
}

/** Over each doorway, on both faces, the name of the room it leads to: "Room 3 · Calm blues". */
function doorSigns(plan, name) {
  const signs = [];
  for (const door of plan.doors) {
    door.between.forEach((from, k) => {
      const to = door.between[1 - k];
      const r = plan.rooms[from];
      const map = signTexture(name(to));
      const sign = new Mesh(PLANE, new MeshBasicMaterial({ map }));
      sign.scale.set(SIGN_METRES, (SIGN_METRES * map.image.height) / map.image.width, 1);
      // Face into room `from`, just off its face of the wall.
      const into = door.axis === "x" ? [Math.sign((r.x0 + r.x1) / 2 - door.x), 0] : [0, Math.sign((r.z0 + r.z1) / 2 - door.z)];
      const off = DIMS.wall / 2 + 0.01;
      sign.position.set(door.x + into[0] * off, (DIMS.doorHeight + DIMS.wallHeight) / 2, door.z + into[1] * off);
      sign.rotation.y = Math.atan2(into[0], into[1]);
      signs.push({ room: from, sign });
    });
  }
  return signs;
}

/** A closed door in each doorway, shown while the room behind it is not drawn: never a view into the void. */
function closedDoors(plan, material) {
  return plan.doors.map((door) => {
    const m = new Mesh(BOX, material);
    const thin = DIMS.wall * 0.4;
    if (door.axis === "x") m.scale.set(thin, DIMS.doorHeight, DIMS.doorWidth);
    else m.scale.set(DIMS.doorWidth, DIMS.doorHeight, thin);
    m.position.set(door.x, DIMS.doorHeight / 2, door.z);
    m.visible = false;
    return m;
  });
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * name(roomIndex) -> {label: "Room 3", title: the curator's name for it or ""}, shown at its door. Only the rooms in `first` (the visitor's and its
 * neighbours) are built at once; `built.buildRest(onPainting)` builds the others one room per task, so the
 * main thread stays free, and `built.whenBuilt(i)` resolves once room i is built.
 */
export function buildScene(plan, name = (i) => ({ label: `Room ${i + 1}`, title: "" }), first = plan.rooms.map((r) => r.index)) {
  const scene = new Scene();
  scene.background = new Color("#1c1a18");
  scene.fog = new Fog("#2a2724", 22, 48);
  scene.add(new HemisphereLight("#fff8ee", "#5a4b3c", 2.2));
  const sun = new DirectionalLight("#ffffff", 1.1);
  sun.position.set(0.45, 1, 0.25);
  scene.add(sun);

  const frames = new Map();
  const materials = {
    floor: new MeshLambertMaterial({ map: woodTexture() }),
    ceiling: new MeshBasicMaterial({ color: "#bdb7ae" }),
    lightStrip: new MeshBasicMaterial({ color: "#fffaf0" }),
    skirting: new MeshLambertMaterial({ color: "#3b3630" }),
    lamp: new MeshLambertMaterial({ color: "#2b2b2b" }),
    pool: new MeshBasicMaterial({ map: poolTexture(), transparent: true, opacity: 0.3, blending: AdditiveBlending, depthWrite: false }),
    frame(art) {
      const c = frameColour(art);
      if (!frames.has(c)) frames.set(c, new MeshLambertMaterial({ color: c }));
      return frames.get(c);
    },
  };

  const rooms = plan.rooms.map(() => {
    const group = new Group();
    scene.add(group);
    return { group, walls: [], built: false };
  });
  const signs = doorSigns(plan, name);
  const doors = closedDoors(plan, new MeshLambertMaterial({ color: "#4a3b2c" }));
  for (const door of doors) scene.add(door); // add() with no argument logs an error: a one-room show has none
  const paintings = new Map();
  const pickables = [];
  const waiting = new Map(); // room index -> resolve of whenBuilt's promise
  const done = plan.rooms.map((_, i) => new Promise((resolve) => waiting.set(i, resolve)));

  function buildRoom(i, onPainting = () => {}) {
    const r = rooms[i];
    if (r.built) return;
    const shell = buildRoomShell(plan.rooms[i], plan.walls.filter((w) => w.room === i), materials);
    r.walls = [...shell.children].filter((m) => m.isMesh);
    r.group.add(shell);
    for (const { room, sign } of signs) if (room === i) r.group.add(sign);
    for (const p of plan.rooms[i].paintings) {
      const b = { ...buildPainting(p, materials), plan: p };
      r.group.add(b.group);
      paintings.set(p.id, b);
      pickables.push(b.canvas);
      onPainting(b);
    }
    pickables.push(...r.walls);
    r.built = true;
    waiting.get(i)();
  }
  for (const i of first) buildRoom(i);
  return {
    scene,
    rooms,
    paintings,
    pickables,
    doors,
    plan,
    whenBuilt: (i) => done[i] ?? Promise.resolve(),
    async buildRest(onPainting) {
      for (const i of hops(plan, first[0] ?? 0).map((d, k) => [d, k]).sort((a, b) => a[0] - b[0]).map(([, k]) => k)) {
        if (rooms[i].built) continue;
        await nextTask();
        buildRoom(i, onPainting);
      }
    },
  };
}

/** Show the rooms within `reach` doorways of the visitor's room; doorways into the rest are closed. */
export function showRoomsNear(built, current, reach = 2) {
  const dist = hops(built.plan, current);
  built.rooms.forEach((r, i) => {
    r.group.visible = dist[i] <= reach;
  });
  built.plan.doors.forEach((door, i) => {
    built.doors[i].visible = door.between.some((r) => dist[r] > reach);
  });
}

const frustum = new Frustum();
const viewProjection = new Matrix4();

/** Whether one of room `index`'s paintings is within the camera's view (walls between are not considered). */
export function roomInView(built, index, camera) {
  camera.updateMatrixWorld();
  frustum.setFromProjectionMatrix(viewProjection.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse));
  return built.plan.rooms[index].paintings.some((p) => {
    const mesh = built.paintings.get(p.id)?.canvas;
    if (!mesh) return false;
    mesh.updateWorldMatrix(true, false);
    return frustum.intersectsObject(mesh);
  });
}
