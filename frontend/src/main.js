// Entry point of the 3D gallery: reads the site data, falls back to the list view without WebGL 2, and
// otherwise wires the scene, the visitor, the input, the music and the HUD together.
import { PerspectiveCamera, Raycaster, Vector2, Vector3, WebGLRenderer } from "three";
import { AudioDeck } from "./audio.js";
import { Controls } from "./controls.js";
import { readSiteData, resolver, siteRoot, supportsWebp } from "./data.js";
import { Hud } from "./hud.js";
import { DIMS, entranceView, planGallery, roomAt, viewpoint } from "./layout.js";
import { buildScene, showRoomsNear } from "./scene.js";
import { state, update } from "./state.js";
import { RoomTextures } from "./textures.js";
import { Tour } from "./tour.js";
import { Visitor } from "./visitor.js";

const GAZE_EVERY = 250; // ms between "what is the visitor looking at" checks
const GAZE_REACH = 8; // m: farther paintings do not take the focus

function hasWebGL2() {
  try {
    return Boolean(window.WebGL2RenderingContext && document.createElement("canvas").getContext("webgl2"));
  } catch {
    return false;
  }
}

function showList(root, startArt) {
  update({ webgl: false });
  const url = new URL("list.html", root);
  url.searchParams.set("nowebgl", "1");
  if (startArt) url.hash = startArt;
  location.replace(url.href);
}

function fail(err) {
  console.error(err);
  update({ error: String(err.message || err) });
  const text = document.getElementById("loader-text");
  if (text) text.textContent = "The 3D gallery could not start. The list view below shows every artwork.";
  document.body.classList.add("failed");
}

async function start() {
  const api = { state };
  window.imaudible = api;
  const data = readSiteData();
  const root = siteRoot();
  const resolve = resolver(root);
  const startArt = document.body.dataset.startArt || null;
  if (!hasWebGL2()) return showList(root, startArt);

  const canvas = document.getElementById("gallery-canvas");
  const stage = canvas.parentElement;
  let renderer;
  try {
    renderer = new WebGLRenderer({ canvas, antialias: window.devicePixelRatio < 2, powerPreference: "high-performance" });
  } catch {
    return showList(root, startArt);
  }
  update({ webgl: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));

  const touch = window.matchMedia?.("(pointer: coarse)").matches ?? false;
  const byId = new Map(data.artworks.map((a) => [a.id, a]));
  const plan = planGallery(data);
  const built = buildScene(plan);
  const order = plan.paintings.map((p) => p.id);
  const hung = new Map(plan.paintings.map((p) => [p.id, p]));
  const camera = new PerspectiveCamera(70, 1, 0.05, 120);
  const visitor = new Visitor(camera, plan);
  let dirty = true;
  let readyPending = false;
  let frameWaiters = [];
  let viewChanged = true;
  let gazeAt = 0;

  const positions = new Map(plan.paintings.map((p) => [p.id, [p.centre[0], p.centreY, p.centre[1]]]));
  const deck = new AudioDeck({ artworks: data.artworks, resolve, container: document.getElementById("audio-deck") || document.body, positions, siteTitle: data.title });

  const startPainting = startArt && hung.get(startArt);
  const startRoom = startPainting ? startPainting.room : 0;
  if (startPainting) visitor.place(viewpoint(startPainting, window.innerWidth / window.innerHeight));
  else visitor.place(entranceView(plan));

  const webp = await supportsWebp();
  const longSide = Math.max(window.innerWidth, window.innerHeight) * Math.min(window.devicePixelRatio || 1, 2);
  const textures = new RoomTextures({
    renderer,
    plan,
    built,
    resolve,
    webp,
    wanted: !touch && longSide > 1800 ? 2048 : 1024,
    onChange(index, loaded) {
      update({ roomsLoaded: [...textures.loaded].sort((a, b) => a - b) });
      if (loaded && index === startRoom && !state.ready) readyPending = true;
      dirty = true;
    },
  });

  const raycaster = new Raycaster();
  raycaster.far = 40;
  const ndc = new Vector2();
  function pick(clientX, clientY) {
    const rect = canvas.getBoundingClientRect();
    if (clientX === null) ndc.set(0, 0);
    else ndc.set(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    raycaster.setFromCamera(ndc, camera);
    const targets = built.pickables.filter(isShown);
    const hit = raycaster.intersectObjects(targets, false)[0];
    if (!hit) return null;
    const id = hit.object.userData.paintingId;
    if (id) return { paintingId: id, distance: hit.distance };
    if (hit.point.y < 0.02) return { floor: [hit.point.x, hit.point.z] };
    return {};
  }
  function isShown(m) {
    for (let o = m; o; o = o.parent) if (!o.visible) return false;
    return true;
  }

  let hud;
  function focus(id, { announce = true } = {}) {
    if (!id || id === state.focusedId) return;
    update({ focusedId: id });
    if (announce && hud) {
      const art = byId.get(id);
      const p = hung.get(id);
      hud.announce(
        `${art.title}${art.artist ? `, ${art.artist}` : ""}. Painting ${p.order + 1} of ${order.length}, room ${p.room + 1}.` +
          (art.audio ? " Press Enter to hear its music." : ""),
      );
    }
  }

  async function goTo(id) {
    const p = hung.get(id);
    if (!p) return false;
    focus(id);
    update({ navigating: true });
    textures.ensure(p.room);
    const arrived = await visitor.glideTo(viewpoint(p, camera.aspect));
    update({ navigating: visitor.gliding });
    return arrived;
  }

  function walkTo([x, z]) {
    const room = plan.rooms[roomAt(plan, x)];
    const m = DIMS.playerRadius + 0.15;
    const tx = Math.min(room.x1 - m, Math.max(room.x0 + m, x));
    const tz = Math.min(plan.width / 2 - m, Math.max(-plan.width / 2 + m, z));
    visitor.glideTo({ x: tx, z: tz, yaw: Math.atan2(-(tx - visitor.x), -(tz - visitor.z)), pitch: 0 });
  }

  function togglePlay(id) {
    if (state.touring) tour.stop("Tour stopped.");
    if (id && (id !== state.playingId || state.paused)) deck.play(id);
    else deck.toggle(id || state.focusedId);
  }

  const step = (delta) => () => {
    tour.stop("Tour stopped.");
    const i = order.indexOf(state.focusedId);
    const next = i < 0 ? (delta > 0 ? 0 : order.length - 1) : (i + delta + order.length) % order.length;
    goTo(order[next]);
  };

  const tour = new Tour({
    order,
    goTo,
    deck,
    durations: new Map(data.artworks.map((a) => [a.id, a.audio?.duration])),
    announce: (t) => hud?.announce(t),
  });

  const actions = {
    pick,
    next: step(1),
    prev: step(-1),
    activate(id, how) {
      tour.stop("Tour stopped.");
      focus(id);
      if (how === "tap") goTo(id);
      togglePlay(id === state.playingId ? null : id);
    },
    enter() {
      if (!state.focusedId) return actions.next();
      togglePlay(state.focusedId === state.playingId ? null : state.focusedId);
    },
    walkTo,
    tour: () => tour.toggle(),
    mute: () => deck.setMuted(!state.muted),
    volume: (v) => deck.setVolume(v),
    spatial: (on) => {
      deck.setSpatial(on);
      deck.listen(camera.position, visitor.forward());
    },
    togglePlay,
    help: () => hud.toggleHelp(),
    escape: () => tour.stop("Tour stopped."),
    interrupt() {
      if (visitor.gliding) visitor.cancelGlide();
      tour.stop("Tour stopped.");
    },
    lockChanged: (locked) => update({ pointerLocked: locked }),
  };

  hud = new Hud({ byId, resolve, actions, touch });
  hud.progress(0, 0);
  const controls = new Controls({
    canvas,
    visitor,
    actions,
    joystick: document.getElementById("joystick"),
    onTouchSeen: () => hud.setTouch(true),
  });
  hud.setTouch(touch);

  function resize() {
    const w = stage.clientWidth || window.innerWidth;
    const h = stage.clientHeight || window.innerHeight;
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    dirty = true;
  }
  window.addEventListener("resize", resize);
  resize();
  canvas.addEventListener("webglcontextlost", (e) => {
    e.preventDefault();
    update({ error: "The graphics card stopped drawing the gallery; reload the page or open the list view." });
  });
  canvas.addEventListener("webglcontextrestored", () => {
    update({ error: null });
    dirty = true;
  });

  function enterRoom(room) {
    update({ currentRoom: room });
    showRoomsNear(built, room);
    textures.ensure(room).then(() => {
      textures.ensure(room + 1);
      textures.ensure(room - 1);
    });
    for (const i of [...textures.loaded]) if (Math.abs(i - room) > 2) textures.release(i);
  }

  function afterMove(now) {
    const room = roomAt(plan, visitor.x);
    if (room !== state.currentRoom) enterRoom(room);
    deck.listen(camera.position, visitor.forward());
    if (viewChanged && !visitor.gliding && now - gazeAt > GAZE_EVERY) {
      gazeAt = now;
      viewChanged = false;
      const hit = pick(null);
      if (hit?.paintingId && hit.distance < GAZE_REACH) focus(hit.paintingId, { announce: false });
    }
  }

  let last = performance.now();
  function frame(now) {
    requestAnimationFrame(frame);
    // Walking steps stay short (collisions); glides keep real time even at a few frames per second.
    const elapsed = Math.min(0.5, Math.max(0, (now - last) / 1000));
    last = now;
    let moved = controls.update(Math.min(0.1, elapsed));
    if (visitor.update(elapsed)) moved = true;
    if (moved) {
      visitor.apply();
      dirty = true;
      viewChanged = true;
    }
    afterMove(now);
    if (!dirty) return;
    dirty = false;
    renderer.render(built.scene, camera);
    if (!state.firstFrame) {
      performance.mark("imaudible:first-frame");
      update({ firstFrame: true });
    }
    if (readyPending) {
      readyPending = false;
      performance.mark("imaudible:ready");
      update({ ready: true });
      hud.hint(
        document.body.classList.contains("touch")
          ? "Drag to look around · walk with the joystick or tap the floor · tap a painting to hear its music"
          : "Click the view to look around (Esc frees the mouse) · W A S D or arrows walk · N / P next or previous painting · Enter plays · T guided tour",
      );
    }
    const waiters = frameWaiters;
    frameWaiters = [];
    waiters.forEach((fn) => fn());
  }

  if (startPainting) focus(startPainting.id);
  textures.ensure(startRoom, (done, total) => {
    update({ loading: { loaded: done, total } });
    hud.progress(done, total);
  });
  state.currentRoom = -1;
  enterRoom(startRoom);
  requestAnimationFrame(frame);

  const rendered = () =>
    new Promise((resolveFrame) => {
      dirty = true;
      frameWaiters.push(resolveFrame);
    });
  Object.assign(api, {
    order,
    next: actions.next,
    prev: actions.prev,
    goTo,
    play: (id) => deck.play(id),
    pause: () => deck.pause(),
    tour,
    debug: {
      /** Stand in front of painting `id` at once (tests); resolves after the next rendered frame. */
      aimAt(id) {
        const p = hung.get(id);
        if (!p) throw new Error(`no painting ${id}`);
        visitor.place(viewpoint(p, camera.aspect));
        focus(id);
        afterMove(performance.now());
        return textures.ensure(p.room).then(rendered);
      },
      /** The painting at the centre of the view, or null. */
      facing() {
        return pick(null)?.paintingId ?? null;
      },
      /** The on-screen box of painting `id`'s canvas (without frame), in CSS pixels. */
      bounds(id) {
        const p = hung.get(id);
        const { w, h } = p.size;
        const along = [p.normal[1], -p.normal[0]]; // along the wall
        const r = canvas.getBoundingClientRect();
        const xs = [];
        const ys = [];
        for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
          const v = new Vector3(p.centre[0] + (along[0] * a * w) / 2, p.centreY + (b * h) / 2, p.centre[1] + (along[1] * a * w) / 2).project(camera);
          xs.push(r.left + ((v.x + 1) / 2) * r.width);
          ys.push(r.top + ((1 - v.y) / 2) * r.height);
        }
        return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
      },
      /** Where painting `id`'s centre is on screen, in CSS pixels. */
      project(id) {
        const p = hung.get(id);
        const v = new Vector3(p.centre[0], p.centreY, p.centre[1]).project(camera);
        const r = canvas.getBoundingClientRect();
        return { x: r.left + ((v.x + 1) / 2) * r.width, y: r.top + ((1 - v.y) / 2) * r.height, inView: Math.abs(v.x) < 1 && Math.abs(v.y) < 1 && v.z < 1 };
      },
      audio: () => deck.describe(),
      rendered,
      view: () => ({ x: visitor.x, z: visitor.z, yaw: visitor.yaw, pitch: visitor.pitch, room: state.currentRoom }),
      place(view) {
        visitor.place(view);
        afterMove(performance.now());
        return rendered();
      },
      plan: () => ({ width: plan.width, rooms: plan.rooms.map((r) => ({ x0: r.x0, x1: r.x1, ids: r.ids })) }),
    },
  });
}

function boot() {
  start().catch(fail);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
