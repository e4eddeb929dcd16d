// The visitor: a camera at eye height that walks (colliding with walls), looks around, and glides to a
// painting along a route through the doorways.
import { DIMS, collide, route } from "./layout.js";

const WALK = 2.2; // m/s
const RUN = 4.2;
const TURN = 1.9; // rad/s for keyboard turning
const MAX_PITCH = 1.25;
// Frames stop in a hidden tab and behind a locked screen, and a glide with them: a guided tour heard there
// would wait for it for as long. A glide that no frame has moved on for this long ends where it was going.
const STALLED = 1500; // ms

// Visitors who asked for less motion are taken to a painting at once instead of gliding there. The query is
// read at each glide: the setting can change while the gallery is open.
const reducedMotion = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : null;

const ease = (t) => (t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2);

function angleLerp(a, b, t) {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return a + d * t;
}

export class Visitor {
  constructor(camera, plan) {
    this.camera = camera;
    this.plan = plan;
    this.x = 0;
    this.y = DIMS.eye; // eye height; a close-up lifts or lowers it to the painting's centre
    this.z = 0;
    this.yaw = 0;
    this.pitch = 0;
    this.glide = null;
    this.lastGlide = null; // the latest glide, kept after it ends (the debug hooks report it)
    camera.rotation.order = "YXZ";
  }

  /** Stand at (x, z) looking along yaw/pitch at once. */
  place({ x, z, yaw, pitch = 0, y = DIMS.eye }) {
    this.glide = null;
    Object.assign(this, { x, y, z, yaw, pitch });
    this.apply();
  }

  apply() {
    this.camera.position.set(this.x, this.y, this.z);
    this.camera.rotation.set(this.pitch, this.yaw, 0);
  }

  look(dYaw, dPitch) {
    this.yaw += dYaw;
    this.pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, this.pitch + dPitch));
  }

  /** Walk by `forward`/`strafe` in [-1, 1] for dt seconds; returns whether the visitor moved. */
  walk(forward, strafe, dt, running) {
    if (!forward && !strafe) return false;
    const len = Math.hypot(forward, strafe);
    const speed = (running ? RUN : WALK) * dt * Math.min(1, len) / len;
    const sin = Math.sin(this.yaw);
    const cos = Math.cos(this.yaw);
    const dx = (-sin * forward + cos * strafe) * speed;
    const dz = (-cos * forward - sin * strafe) * speed;
    [this.x, this.z] = collide(this.plan, this.x, this.z, dx, dz);
    return true;
  }

  turn(direction, dt) {
    this.look(direction * TURN * dt, 0);
  }

  /** Glide to a viewpoint through the doorways; the promise says whether it arrived (false: interrupted). */
  glideTo(target) {
    this.cancelGlide();
    const pts = [[this.x, this.z], ...route(this.plan, [this.x, this.z], [target.x, target.z])];
    const lengths = pts.slice(1).map((p, i) => Math.hypot(p[0] - pts[i][0], p[1] - pts[i][1]));
    const total = lengths.reduce((a, b) => a + b, 0);
    return new Promise((resolve) => {
      this.glide = this.lastGlide = {
        pts,
        lengths,
        total,
        time: 0,
        movedAt: performance.now(),
        duration: reducedMotion?.matches ? 0.05 : Math.min(4, Math.max(0.6, total / 3)),
        from: { yaw: this.yaw, pitch: this.pitch, y: this.y },
        target,
        resolve,
      };
      this.#watch(this.glide);
    });
  }

  // One timer at a time, each set for when the glide would have gone STALLED ms without moving: it ends
  // within about STALLED ms of its last frame, and running frames wake it about once per STALLED ms.
  #watch(glide) {
    const check = () => {
      if (this.glide !== glide) return;
      const still = performance.now() - glide.movedAt;
      if (still < STALLED) {
        setTimeout(check, STALLED - still);
        return;
      }
      this.update(glide.duration);
      this.apply();
    };
    setTimeout(check, STALLED);
  }

  /** Let the glide under way end at `target` instead (its last leg bends to it). */
  retarget(target) {
    const g = this.glide;
    const last = g.pts.length - 1;
    g.pts[last] = [target.x, target.z];
    g.lengths[last - 1] = Math.hypot(target.x - g.pts[last - 1][0], target.z - g.pts[last - 1][1]);
    g.total = g.lengths.reduce((a, b) => a + b, 0);
    g.target = target;
  }

  cancelGlide() {
    if (this.glide) {
      this.glide.resolve(false);
      this.glide = null;
    }
  }

  get gliding() {
    return Boolean(this.glide);
  }

  /** Advance a glide by dt; returns whether the camera moved. */
  update(dt) {
    const g = this.glide;
    if (!g) return false;
    g.time += dt;
    if (dt > 0) g.movedAt = performance.now();
    const t = Math.min(1, g.time / g.duration);
    const e = ease(t);
    let s = e * g.total;
    let i = 0;
    while (i < g.lengths.length - 1 && s > g.lengths[i]) s -= g.lengths[i++];
    const a = g.pts[i];
    const b = g.pts[i + 1] || a;
    const f = g.lengths[i] ? Math.min(1, s / g.lengths[i]) : 1;
    this.x = a[0] + (b[0] - a[0]) * f;
    this.z = a[1] + (b[1] - a[1]) * f;
    this.yaw = angleLerp(g.from.yaw, g.target.yaw, e);
    this.pitch = g.from.pitch + ((g.target.pitch ?? 0) - g.from.pitch) * e;
    this.y = g.from.y + ((g.target.y ?? DIMS.eye) - g.from.y) * e;
    if (t >= 1) {
      this.glide = null;
      g.resolve(true);
    }
    return true;
  }

  forward() {
    return { x: -Math.sin(this.yaw) * Math.cos(this.pitch), y: Math.sin(this.pitch), z: -Math.cos(this.yaw) * Math.cos(this.pitch) };
  }
}
