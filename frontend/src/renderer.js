// The WebGL renderer, sized to what the device can draw. A software renderer (no GPU, or a blocked one:
// SwiftShader, llvmpipe) draws every pixel on the CPU: there the gallery draws without multisampling and
// at most SOFTWARE_PIXELS pixels a frame (present.js keeps the page from waiting on those frames).
import { WebGLRenderer } from "three";
import { canvasLikeTarget } from "./present.js";

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** "gpu", "software" (WebGL 2 drawn on the CPU) or null (no WebGL 2). */
export function probeWebGL2() {
  if (!window.WebGL2RenderingContext) return null;
  let gl;
  try {
    gl = document.createElement("canvas").getContext("webgl2");
  } catch {
    return null;
  }
  if (!gl) return null;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext(); // a probe: its resources go back at once
  return SOFTWARE.test(name) ? "software" : "gpu";
}

// Pixels a software renderer draws per frame, at most: SwiftShader took 70-140 ms for such a frame of the
// demo's first room on a shared 2-core machine (1 CSS pixel to 1 on a phone, about 0.66 on 1280 x 720).
const SOFTWARE_PIXELS = 400_000;

/** Pixels per CSS pixel the gallery draws with: on a CPU renderer, fewer on a large window. */
export function pixelRatio(kind) {
  if (kind !== "software") return Math.min(window.devicePixelRatio || 1, 2);
  const area = Math.max(1, window.innerWidth * window.innerHeight);
  return Math.min(1, Math.sqrt(SOFTWARE_PIXELS / area));
}

export function createRenderer(canvas, kind) {
  const renderer = new WebGLRenderer({
    canvas,
    antialias: kind !== "software" && window.devicePixelRatio < 2,
    powerPreference: "high-performance",
  });
  renderer.setPixelRatio(pixelRatio(kind));
  return renderer;
}

/**
 * Resolves once the GPU has done all the work queued so far (texture uploads, say), without the page
 * waiting for it: the next frame then draws at once instead of holding the page until the uploads finish.
 */
export function gpuFinished(renderer, every = 8) {
  const gl = renderer.getContext();
  const sync = gl.fenceSync?.(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (!sync) return Promise.resolve();
  gl.flush();
  return new Promise((resolve) => {
    const probe = () => {
      if (!gl.isContextLost() && gl.clientWaitSync(sync, 0, 0) === gl.TIMEOUT_EXPIRED) return setTimeout(probe, every);
      if (!gl.isContextLost()) gl.deleteSync(sync);
      resolve();
    };
    setTimeout(probe, every);
  });
}

/**
 * Draws the scene once into a small off-screen target that takes the canvas's shaders and pixel format,
 * and resolves when the GPU is done: a software renderer builds its drawing routines there, while the
 * page stays free, rather than in the first frame shown (which the page must wait for).
 */
export async function warmUp(renderer, scene, camera) {
  const target = canvasLikeTarget(64, 64);
  renderer.setRenderTarget(target);
  renderer.render(scene, camera);
  renderer.setRenderTarget(null);
  await gpuFinished(renderer);
  target.dispose();
}
