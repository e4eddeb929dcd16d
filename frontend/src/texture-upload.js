// Getting images onto the GPU without stalling a frame: decoded off the main thread (createImageBitmap),
// uploaded ahead of the frame that shows them, and freed with their pixels when no longer shown.
import { CanvasTexture, ImageBitmapLoader, SRGBColorSpace, Texture } from "three";
import { gpuFinished } from "./renderer.js";

const RETRY_PAUSES = [1000, 3000]; // ms before the second and the third try of a failed image

/** Free a texture's GPU memory and, for a decoded bitmap, its pixels too. */
export function drop(tex) {
  tex.dispose();
  tex.image?.close?.();
}

/** The images that could not be fetched, each with the way to try it again: once the device is back online. */
export class MissingImages {
  constructor() {
    this.retries = new Map(); // painting id -> retry()
    window.addEventListener("online", () => {
      const retries = [...this.retries.values()];
      this.retries.clear();
      for (const retry of retries) retry();
    });
  }

  note(id, retry) {
    this.retries.set(id, retry);
  }

  found(id) {
    this.retries.delete(id);
  }
}

export class TextureUploader {
  constructor({ renderer, resolve, anisotropy = 8 }) {
    this.renderer = renderer;
    this.resolve = resolve;
    this.loader = new ImageBitmapLoader().setOptions({ imageOrientation: "flipY" });
    this.anisotropy = Math.min(anisotropy, renderer.capabilities.getMaxAnisotropy());
    this.maxTexture = renderer.capabilities.maxTextureSize;
  }

  /**
   * Fetch and decode the image at `rel` into a texture (null, with a warning, when it fails). A failure is
   * tried again after a pause: on a phone one dropped request would otherwise leave the painting blank for
   * as long as its room stays loaded. Offline, no pause brings it: the caller tries again once back online.
   */
  async fetch(rel) {
    for (const pause of [...RETRY_PAUSES, null]) {
      try {
        const tex = new Texture(await this.loader.loadAsync(this.resolve(rel)));
        tex.needsUpdate = true;
        return tex;
      } catch {
        if (navigator.onLine === false) break;
        if (pause !== null) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    if (navigator.onLine !== false) console.warn(`imaudible: could not load ${rel}`); // offline is no fault of the site
    return null;
  }

  /** Send textures to the GPU and wait (without blocking) until they are there, before a frame shows them. */
  async upload(textures) {
    for (const tex of textures.filter(Boolean)) {
      this.#prepare(tex);
      this.renderer.initTexture(tex);
    }
    await gpuFinished(this.renderer);
  }

  fromCanvas(canvas) {
    return this.#prepare(new CanvasTexture(canvas));
  }

  #prepare(tex) {
    tex.colorSpace = SRGBColorSpace;
    tex.anisotropy = this.anisotropy;
    return tex;
  }
}
