// Observable page state. Tests and the HUD read it; `window.imaudible.state` is this object.

export const state = {
  webgl: null, // true once the 3D view runs, false when the page fell back to the list
  drawing: null, // "gpu", or "software" (WebGL drawn on the CPU: fewer pixels, no multisampling)
  ready: false, // first room's paintings are textured (thumbnails at least) and on screen
  sharp: false, // ...and now at full texture size
  firstFrame: false,
  loading: { loaded: 0, total: 0 },
  roomsLoaded: [],
  currentRoom: 0,
  focusedId: null, // the painting in front of the visitor (plaque shown)
  navigating: false, // gliding to a painting
  playingId: null, // the artwork whose music is playing (or paused mid-way)
  paused: true,
  buffering: false, // the piece should play but its file has not sent enough to (a slow or stalled network)
  volume: 0.8,
  muted: false,
  spatial: false,
  touring: false,
  tourPaused: false,
  fullscreen: false,
  tour: { at: 0, of: 0 }, // the guided tour's progress: work `at` of `of`
  pointerLocked: false,
  error: null,
  shared: null, // how the last share went: shared | copied | shown | cancelled
  closeUp: null, // the painting seen in close-up
  closeUpReady: false, // ...and the camera has arrived
  closeUpSharp: false, // ...and its largest texture shows
  closeUpBlurred: false, // ...or that texture could not be fetched: a smaller one stays
  zoom: 1,
  framings: 0, // bumped each time the view is framed again around the panels
};

// State that only the HUD shows: a change there needs no new frame of the scene.
export const HUD_ONLY = new Set(["drawing", "loading", "roomsLoaded", "navigating", "touring", "tourPaused", "tour", "volume",
  "buffering", "muted", "spatial", "pointerLocked", "shared", "error", "fullscreen", "ready", "sharp", "firstFrame", "webgl", "framings"]);

const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Merge `patch` into the state and tell listeners which keys changed. */
export function update(patch) {
  const changed = [];
  for (const [k, v] of Object.entries(patch)) {
    if (state[k] !== v) {
      state[k] = v;
      changed.push(k);
    }
  }
  if (changed.length) for (const fn of listeners) fn(changed);
}
