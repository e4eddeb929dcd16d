// Room-by-room texture loading: a room's paintings and plaques get their textures when the visitor comes
// near, and give them back when far away, so a large exhibition never holds every image in GPU memory.
import { CanvasTexture, SRGBColorSpace, TextureLoader } from "three";
import { pickImage } from "./data.js";
import { drawPlaque } from "./plaque.js";

export class RoomTextures {
  constructor({ renderer, plan, built, resolve, webp, wanted, onChange }) {
    this.plan = plan;
    this.built = built;
    this.resolve = resolve;
    this.loader = new TextureLoader();
    this.anisotropy = Math.min(8, renderer.capabilities.getMaxAnisotropy());
    this.maxTexture = renderer.capabilities.maxTextureSize;
    this.webp = webp;
    this.wanted = wanted;
    this.onChange = onChange; // (roomIndex, loaded) -> void, after textures are in place
    this.rooms = new Map(); // room index -> Promise
    this.loaded = new Set();
  }

  /** Load room `index` (once); `progress(done, total)` is told after each painting. */
  ensure(index, progress = () => {}) {
    if (index < 0 || index >= this.plan.rooms.length) return Promise.resolve();
    if (!this.rooms.has(index)) this.rooms.set(index, this.#load(index, progress));
    return this.rooms.get(index);
  }

  async #load(index, progress) {
    const room = this.plan.rooms[index];
    let done = 0;
    progress(done, room.paintings.length);
    await Promise.all(
      room.paintings.map(async (p) => {
        const built = this.built.paintings.get(p.id);
        this.#plaque(built, p.art);
        const rel = pickImage(p.art, { wanted: this.wanted, maxTexture: this.maxTexture, webp: this.webp });
        if (rel) {
          try {
            const tex = await this.loader.loadAsync(this.resolve(rel));
            tex.colorSpace = SRGBColorSpace;
            tex.anisotropy = this.anisotropy;
            const mat = built.canvas.material;
            mat.map = tex;
            mat.color.set("#ffffff");
            mat.needsUpdate = true;
          } catch {
            console.warn(`imaudible: could not load the image of ${p.id}`);
          }
        }
        progress(++done, room.paintings.length);
      }),
    );
    if (this.rooms.has(index)) {
      this.loaded.add(index);
      this.onChange(index, true);
    }
  }

  #plaque(built, art) {
    const mat = built.plaque.material;
    if (mat.map) return;
    const tex = new CanvasTexture(drawPlaque(document.createElement("canvas"), art));
    tex.colorSpace = SRGBColorSpace;
    tex.anisotropy = this.anisotropy;
    mat.map = tex;
    mat.color.set("#ffffff");
    mat.needsUpdate = true;
  }

  /** Free the GPU memory of room `index`; its paintings fall back to their placeholder colour. */
  release(index) {
    if (!this.loaded.has(index)) return;
    this.rooms.delete(index);
    this.loaded.delete(index);
    for (const p of this.plan.rooms[index].paintings) {
      const built = this.built.paintings.get(p.id);
      for (const mesh of [built.canvas, built.plaque]) {
        mesh.material.map?.dispose();
        mesh.material.map = null;
        mesh.material.needsUpdate = true;
      }
      built.canvas.material.color.set(built.placeholder);
      built.plaque.material.color.set("#d8d4cc");
    }
    this.onChange(index, false);
  }
}
