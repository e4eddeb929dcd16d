// The 3D gallery: reads the site data, falls back to the list view without WebGL 2, and otherwise wires the
// scene, the visitor, the input, the music and the HUD together. main.js loads it after the first paint.
import { PerspectiveCamera } from "three";
import { AudioDeck, offerTrackControls } from "./audio.js";
import { chunk } from "./chunks.js";
import { Controls } from "./controls.js";
import { followTo, shareArtwork, startArtwork } from "./address.js";
import { debugApi } from "./debug.js";
import { enableControls } from "./dom.js";
import { isolate, readSiteData, resolver, siteRoot, supportsWebp } from "./data.js";
import { Hud } from "./hud.js";
import { makePicker } from "./picker.js";
import { hops } from "./floorplan.js";
import { XR_THREE, offerVR } from "./vr.js";
import { DIMS, entranceView, planGallery, roomAt } from "./layout.js";
import { PLANE, buildScene, roomInView, showRoomsNear } from "./scene.js";
import { SceneCues } from "./cues.js";
import { Framer } from "./framing.js";
import { HUD_ONLY, onChange, state, update } from "./state.js";
import { Presenter, breathe } from "./present.js";
import { createRenderer, pixelRatio, probeWebGL2, warmUp } from "./renderer.js";
import { RoomTextures } from "./textures.js";
import { Tour, neighbour } from "./tour.js";
import { Visitor } from "./visitor.js";
import { roomName, wayfinding } from "./wayfinding.js";

const GAZE_EVERY = 250; // ms between "what is the visitor looking at" checks
const GAZE_REACH = 8; // m: farther paintings do not take the focus


function showList(root, startArt) {
  update({ webgl: false });
  const url = new URL("list.html", root);
  url.searchParams.set("nowebgl", "1");
  if (startArt) url.hash = startArt;
  location.replace(url.href);
}

export async function start() {
  const api = { state };
  window.imaudible = api;
  const data = await readSiteData();
  const root = siteRoot();
  const resolve = resolver(root);
  const startArt = startArtwork(document, (id) => data.artworks.some((a) => a.id === id));
  if (!data.artworks.length) {
    document.getElementById("loader-text").textContent = "This gallery has no artworks yet.";
    document.body.classList.add("failed");
    return;
  }
  const gpu = probeWebGL2();
  if (!gpu) return showList(root, startArt);
  await breathe();

  const canvas = document.getElementById("gallery-canvas");
  const stage = canvas.parentElement;
  let renderer;
  try {
    renderer = createRenderer(canvas, gpu);
  } catch {
    return showList(root, startArt);
  }
  update({ webgl: true, drawing: gpu });
  const presenter = new Presenter(renderer, gpu === "software");
  await breathe();

  const touch = window.matchMedia?.("(pointer: coarse)").matches ?? false;
  const byId = new Map(data.artworks.map((a) => [a.id, a]));
  const plan = planGallery(data);
  const titles = data.layout?.titles || [];
  const order = plan.paintings.map((p) => p.id);
  const hung = new Map(plan.paintings.map((p) => [p.id, p]));
  const camera = new PerspectiveCamera(70, 1, 0.05, 120);
  const visitor = new Visitor(camera, plan);
  let dirty = true;
  let readyPending = false;
  let markReady;
  const readyOnce = new Promise((resolveReady) => (markReady = resolveReady));
  let frameWaiters = [];
  let viewChanged = true;
  let gazeAt = 0;

  const positions = new Map(plan.paintings.map((p) => [p.id, [p.centre[0], p.centreY, p.centre[1]]]));
  const deck = new AudioDeck({ artworks: data.artworks, resolve, container: document.getElementById("audio-deck") || document.body, positions, siteTitle: data.title });

  const portrait = window.innerWidth < window.innerHeight;
  // On a phone held upright the room is a narrow slice: start in front of the first work instead.
  const startPainting = (startArt && hung.get(startArt)) || (portrait ? plan.paintings[0] : null);
  const startRoom = startPainting ? startPainting.room : 0;
  // The first room and the rooms next door are built now; the rest after the first view (below).
  const built = buildScene(plan, (i) => ({ label: `Room ${i + 1}`, title: titles[i] || "" }), [startRoom, ...plan.rooms[startRoom].links.map((l) => l.to)]);
  await breathe();
  const framer = new Framer({ stage, renderer, camera, visitor, hung, changed: () => (dirty = true) });
  const viewOf = (p) => framer.viewOf(p);
  let cues;

  const webp = await supportsWebp();
  const longSide = Math.max(window.innerWidth, window.innerHeight) * pixelRatio(gpu);
  const textures = new RoomTextures({
    renderer,
    plan,
    built,
    resolve,
    webp,
    // A painting takes at most ~60% of the screen's long side from its viewpoint; the close-up loads the largest size.
    wanted: Math.round(longSide * 0.6),
    anisotropy: gpu === "software" ? 1 : 8, // each extra sample costs a CPU renderer dearly
    gate: readyOnce,
    brightness: (id) => cues.brightness(id),
    isPlaying: (id) => id === state.playingId && !state.paused,
    onChange(index, stage) {
      update({ roomsLoaded: [...textures.loaded].sort((a, b) => a - b) });
      if (stage === "shown" && index === startRoom && !state.ready) {
        warmUp(renderer, built.scene, camera).then(() => (readyPending = dirty = true));
      }
      if (stage === "sharp" && index === startRoom && !state.sharp) {
        performance.mark("imaudible:sharp");
        update({ sharp: true });
      }
      // A room next door gets its textures unseen: the next frame that looks there shows them.
      if (built.rooms[index]?.group.visible && (index === state.currentRoom || roomInView(built, index, camera))) dirty = true;
    },
  });

  cues = new SceneCues(built, PLANE, (id, playing) => textures.redrawPlaque(id, playing));
  onChange((keys) => {
    if (keys.includes("focusedId")) {
      cues.select(state.focusedId);
      followTo(byId.get(state.focusedId), { resolve, siteTitle: data.title });
    }
    if (keys.includes("playingId") || keys.includes("paused")) cues.play(state.paused ? null : state.playingId);
    if (keys.some((k) => !HUD_ONLY.has(k))) dirty = true;
  });
  const pick = makePicker(canvas, camera, built.pickables, () => framer.centreNdc);

  let hud;
  function focus(id, { announce = true } = {}) {
    if (!id || id === state.focusedId) return;
    update({ focusedId: id });
    if (announce && hud) {
      const art = byId.get(id);
      const p = hung.get(id);
      hud.announce(
        `${isolate(art.title)}${art.artist ? `, ${isolate(art.artist)}` : ""}. Painting ${p.order + 1} of ${order.length}, in ${roomName(plan, data.layout?.titles, p.room)}.` +
          (art.audio ? " Press Enter to hear its music." : ""),
      );
    }
  }

  let closeUp = null; // loaded on first use
  async function openCloseUp(id) {
    if (!closeUp) {
      const loaded = await chunk(() => import("./closeup.js"), "The close-up").catch((err) => update({ error: err.message }));
      if (!loaded) return;
      closeUp = new loaded.CloseUp({ camera, canvas, visitor, hung, getShare: () => (framer.frame(), framer.share),
        viewOf: (p) => (framer.frame(), viewOf(p)), sharpen: (k) => textures.sharpen(k), changed: () => { dirty = true; viewChanged = true; } });
    }
    await closeUp.enter(id);
  }

  async function goTo(id) {
    const p = hung.get(id);
    if (!p) return false;
    closeUp?.leave();
    focus(id);
    update({ navigating: true });
    textures.ensure(p.room);
    const arrived = await visitor.glideTo(viewOf(p));
    update({ navigating: visitor.gliding });
    return arrived;
  }

  function walkTo([x, z]) {
    const room = plan.rooms[roomAt(plan, x, z)];
    const m = DIMS.playerRadius + 0.15;
    const tx = Math.min(room.x1 - m, Math.max(room.x0 + m, x));
    const tz = Math.min(room.z1 - m, Math.max(room.z0 + m, z));
    update({ navigating: true });
    return visitor.glideTo({ x: tx, z: tz, yaw: Math.atan2(-(tx - visitor.x), -(tz - visitor.z)), pitch: 0 }).then((arrived) => {
      update({ navigating: visitor.gliding });
      return arrived;
    });
  }

  function togglePlay(id) {
    if (state.touring) tour.stop("Tour stopped.");
    if (id && (id !== state.playingId || state.paused)) deck.play(id);
    // Play pressed before any painting was chosen (at the entrance, looking at no work): the first one plays.
    else if (!id && !deck.current && !state.focusedId) actions.playNext();
    else deck.toggle(id || state.focusedId);
  }

  const step = (delta) => () => {
    tour.stop("Tour stopped.");
    goTo(neighbour(order, state.focusedId, delta));
  };
  const playStep = (delta) => () => {
    tour.stop("Tour stopped.");
    const id = neighbour(order, state.playingId || state.focusedId, delta);
    deck.play(id);
    goTo(id);
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
      hud.hint("");
      if (state.closeUp) return closeUp.exit();
      // A click on the selected work while its music plays looks closer.
      if (id === state.focusedId && id === state.playingId && !state.paused) return openCloseUp(id);
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
    mute: () => deck.mixer.setMuted(!state.muted),
    volume: (v) => deck.mixer.setVolume(v),
    spatial: (on) => {
      deck.mixer.setSpatial(on);
      deck.mixer.listen(camera.position, visitor.forward());
    },
    togglePlay,
    help: () => hud.toggleHelp(),
    escape() {
      if (state.closeUp) closeUp.exit();
      else tour.stop("Tour stopped.");
    },
    tapBack: () => Boolean(state.closeUp) && (closeUp.exit(), true),
    drag: (dx, dy) => Boolean(state.closeUp) && (closeUp.panBy(dx, dy), true),
    tourPause: () => tour.togglePause(),
    seek: (fraction) => deck.seek(fraction * deck.position().duration),
    position: () => deck.position(),
    playNext: playStep(1),
    zoomIn: () => closeUp?.zoomBy(1.4),
    zoomOut: () => closeUp?.zoomBy(1 / 1.4),
    closeUp: () => state.focusedId && openCloseUp(state.focusedId),
    interrupt() {
      if (state.closeUp) closeUp.exit({ glide: false });
      if (visitor.gliding) visitor.cancelGlide();
      tour.stop("Tour stopped.");
      hud.hint("");
    },
    lockChanged: (locked) => update({ pointerLocked: locked }),
    async share() {
      const art = byId.get(state.focusedId);
      if (!art) return;
      const how = await shareArtwork(art, resolve);
      if (how === "copied") hud.hint("Link copied: paste it anywhere to share this work.");
      update({ shared: how });
    },
  };

  await breathe();
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
  // The welcome hint is laid out under the loader, so the first view is framed around it once, not again
  // (a second frame and a glide) when the loader goes.
  hud.hint(hud.welcome(), { hold: true });
  offerVR(document.getElementById("vr-button"), () => chunk(() => import("./xr.js"), "Its code").then(({ enterVR }) => enterVR({ three: XR_THREE, renderer, scene: built.scene, camera, visitor,
    pickables: built.pickables, select: (id) => (focus(id), togglePlay(id)), ended: () => (dirty = true) })), (text) => hud.hint(text));

  window.addEventListener("hashchange", () => {
    const id = startArtwork(document, (k) => hung.has(k));
    if (id && id !== state.focusedId) goTo(id);
  });
  framer.watch(".topbar, .wayfinder, #plaque-panel, #player, .stepper, .hint-slot, #joystick, #tour-bar");
  if (startPainting) focus(startPainting.id, { announce: false });
  framer.frame();
  visitor.place(startPainting ? viewOf(startPainting) : entranceView(plan));
  canvas.addEventListener("webglcontextlost", (e) => {
    e.preventDefault();
    update({ error: "The graphics card stopped drawing the gallery; reload the page or open the list view." });
  });
  canvas.addEventListener("webglcontextrestored", () => {
    update({ error: null });
    dirty = true;
  });

  await breathe();
  const ways = wayfinding({ plan, data, order, resolve, webp, walkTo, goTo, announce: (t) => hud?.announce(t) });
  enableControls(); // every control is wired now
  function enterRoom(room) {
    const walkedIn = state.currentRoom >= 0 && !visitor.gliding;
    update({ currentRoom: room });
    ways.room(room, walkedIn);
    showRoomsNear(built, room);
    // A glide across the show passes through rooms: only the room it stops in gets textures (afterMove).
    textures.around(visitor.gliding ? null : room);
    const dist = hops(plan, room);
    for (const i of [...textures.loaded]) if (dist[i] > 2) textures.release(i);
  }

  function afterMove(now) {
    const room = roomAt(plan, visitor.x, visitor.z);
    if (room !== state.currentRoom) enterRoom(room);
    else if (!visitor.gliding) textures.around(room);
    ways.moved(visitor, room, now);
    deck.mixer.listen(camera.position, visitor.forward());
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
    const free = presenter.tick();
    if (!dirty || renderer.xr.isPresenting || !free) return; // in VR the XR session's own loop draws
    if (!state.ready && !readyPending) return; // the loader hides the bare rooms: draw once they are hung
    dirty = false;
    const first = readyPending;
    const waiters = frameWaiters;
    readyPending = false;
    frameWaiters = [];
    presenter.draw(built.scene, camera, () => shown(first, waiters));
  }

  function shown(first, waiters) {
    if (!state.firstFrame) {
      performance.mark("imaudible:first-frame");
      update({ firstFrame: true });
    }
    if (first) {
      performance.mark("imaudible:ready");
      update({ ready: true });
      markReady();
      hud.hint(hud.welcome()); // its 9 s start now
    }
    waiters.forEach((fn) => fn());
  }

  offerTrackControls(actions.playNext, playStep(-1));

  textures.ensure(startRoom, (done, total) => {
    update({ loading: { loaded: done, total } });
    hud.progress(done, total);
  });
  state.currentRoom = -1;
  enterRoom(startRoom);
  // Shader programs compile off the main thread where the browser can (KHR_parallel_shader_compile),
  // instead of blocking the first frame. Elsewhere three's compileAsync only adds a console warning.
  if (renderer.extensions.has("KHR_parallel_shader_compile")) await renderer.compileAsync(built.scene, camera).catch(() => {});
  else renderer.compile(built.scene, camera);
  requestAnimationFrame(frame);
  readyOnce.then(() => built.buildRest((b) => cues.add(b)));

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
    debug: debugApi({ ways, plan, hung, camera, canvas, visitor, textures, deck, pick, focus, afterMove, rendered, viewOf, busy: () => framer.pending || visitor.gliding }),
  });
}
