// Puts frames on the canvas. With a GPU, a frame is drawn straight to the canvas. With a CPU renderer the
// browser has no GPU compositor and reads the canvas back after every change, waiting for the frame to be
// drawn: there each frame is drawn off screen, and copied to the canvas only once the GPU has finished it,
// so the page never waits for a whole frame (one frame of latency, at a few frames per second anyway).
import { SRGBColorSpace, Vector2, WebGLRenderTarget } from "three";

/** Lets the page paint and answer input between two steps of work. */
export const breathe = () =>
  globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));

/** An off-screen target three draws into exactly as into the canvas (same shader programs, sRGB out). */
export function canvasLikeTarget(width, height) {
  const target = new WebGLRenderTarget(width, height, { colorSpace: SRGBColorSpace });
  target.isXRRenderTarget = true; // what makes three encode sRGB for a target, as it does for the canvas
  return target;
}

export class Presenter {
  constructor(renderer, offscreen) {
    this.renderer = renderer;
    this.offscreen = offscreen;
    this.target = null;
    this.inFlight = false; // a frame is drawn off screen, or about to be
    this.sync = null; // ...and queued: its fence
    this.idle = null; // then: all the GPU work queued until it was done
    this.shown = null;
    this.copied = false; // a frame was copied to the canvas in this animation frame
  }

  /** Each animation frame, first: shows a finished off-screen frame; whether a new frame may be drawn. */
  tick() {
    this.copied = false;
    if (!this.inFlight) return true;
    if (!this.sync) return false;
    const gl = this.renderer.getContext();
    if (gl.isContextLost()) {
      this.sync = this.idle = null;
      return !(this.inFlight = false);
    }
    if (gl.clientWaitSync(this.sync, 0, 0) === gl.TIMEOUT_EXPIRED) return false;
    // The copy must not wait on other work queued meanwhile (texture uploads) either: a second fence.
    if (!this.idle) {
      this.idle = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
      gl.flush();
    }
    if (gl.clientWaitSync(this.idle, 0, 0) === gl.TIMEOUT_EXPIRED) return false;
    gl.deleteSync(this.sync);
    gl.deleteSync(this.idle);
    this.sync = this.idle = null;
    this.inFlight = false;
    const { width, height } = this.target;
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, this.renderer.properties.get(this.target).__webglFramebuffer);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, null);
    gl.blitFramebuffer(0, 0, width, height, 0, 0, width, height, gl.COLOR_BUFFER_BIT, gl.NEAREST);
    this.renderer.resetState();
    this.copied = true;
    this.shown();
    return true;
  }

  /** Draw the scene; `shown()` runs once the frame is on the canvas. */
  draw(scene, camera, shown) {
    if (!this.offscreen) {
      this.renderer.render(scene, camera);
      return shown();
    }
    this.shown = shown;
    this.inFlight = true;
    // After a copy, the browser reads the canvas back at the end of this task: draw in the next one, or
    // that read-back would wait for this frame too.
    if (this.copied) setTimeout(() => this.#drawOffscreen(scene, camera), 0);
    else this.#drawOffscreen(scene, camera);
  }

  #drawOffscreen(scene, camera) {
    const size = this.renderer.getDrawingBufferSize(new Vector2());
    if (this.target?.width !== size.x || this.target?.height !== size.y) {
      this.target?.dispose();
      this.target = canvasLikeTarget(size.x, size.y);
    }
    this.renderer.setRenderTarget(this.target);
    this.renderer.render(scene, camera);
    this.renderer.setRenderTarget(null);
    const gl = this.renderer.getContext();
    this.sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
  }
}
