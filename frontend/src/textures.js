// Room-by-room texture loading: a room's paintings and plaques get their textures when the visitor comes
// near, and give them back when far away, so a large exhibition never holds every image in GPU memory.
// Each painting shows its small thumbnail first; the full texture follows once the first view is drawn.
import { sayIfImagesMoved } from "./chunks.js";
import { pickImage, pickThumb } from "./data.js";
import { drawPlaque } from "./plaque.js";
import { BLANK } from "./scene.js";
import { drop, MissingImages, TextureUploader } from "./texture-upload.js";

const textured = (mat) => mat.map && mat.map !== BLANK;

export class RoomTextures {
  /** gate: a promise; full-size textures wait for it (the first view is on screen). */
  constructor({ renderer, plan, built, resolve, webp, wanted, gate, onChange, brightness, isPlaying, anisotropy = 8 }) {
    this.plan = plan;
    this.built = built;
    this.gpu = new TextureUploader({ renderer, resolve, anisotropy });
    this.resolve = resolve;
    this.maxTexture = this.gpu.maxTexture;
    this.webp = webp;
    this.wanted = wanted;
    this.gate = gate;
    this.brightness = brightness; // id -> canvas colour scale (selection cue)
    this.isPlaying = isPlaying; // id -> whether its wall label shows ♪
    this.onChange = onChange; // (roomIndex, "shown" | "sharp" | "released") -> void, after the change
    this.rooms = new Map(); // room index -> Promise (resolves when every painting shows an image)
    this.loaded = new Set();
    this.generation = new Map(); // room index -> number, bumped on release so late loads are dropped
    this.centre = null; // the room whose neighbours were last fetched ahead
    this.missing = new MissingImages(); // else a room entered offline stays blank for as long as it stays loaded
  }

  /**
   * Load room `index` (once); `progress(done, total)` is told after each painting. Thumbnails come first
   * where the visitor looks; a room fetched ahead (`ahead`) gets its full textures at once, one upload each.
   */
  ensure(index, progress = () => {}, { ahead = false } = {}) {
    if (index < 0 || index >= this.plan.rooms.length) return Promise.resolve();
    if (!this.rooms.has(index)) this.rooms.set(index, this.#load(index, progress, !ahead));
    return this.rooms.get(index);
  }

  /**
   * The visitor stopped in room `index`: load it, then (after the first view) the rooms next door, ahead.
   * null: the visitor is passing through a room, which loads nothing.
   */
  around(index) {
    if (this.centre === index) return;
    this.centre = index;
    if (index === null) return;
    Promise.all([this.ensure(index), this.gate]).then(() => {
      if (this.centre !== index) return;
      for (const { to } of this.plan.rooms[index].links) this.ensure(to, undefined, { ahead: true });
    });
  }

  async #load(index, progress, thumbsFirst) {
    await this.built.whenBuilt(index);
    const room = this.plan.rooms[index];
    const generation = this.generation.get(index) || 0;
    const current = () => (this.generation.get(index) || 0) === generation;
    let done = 0;
    progress(done, room.paintings.length);
    const upgrades = await Promise.all(
      room.paintings.map(async (p) => {
        const built = this.built.paintings.get(p.id);
        this.#plaque(built, p.art);
        const full = pickImage(p.art, { wanted: this.wanted, maxTexture: this.maxTexture, webp: this.webp });
        const thumb = pickThumb(p.art, this.webp);
        const first = thumbsFirst && thumb && full && thumb.long < full.long ? thumb : full;
        if (first) await this.#show(built, first.url, current);
        progress(++done, room.paintings.length);
        return first !== full ? [built, full] : null;
      }),
    );
    if (!current()) return;
    this.loaded.add(index);
    this.onChange(index, "shown");
    await this.gate;
    // All of a room's sharper textures arrive in one frame: one upload pause instead of one per painting.
    const fetched = await Promise.all(upgrades.filter(Boolean).map(async ([built, full]) => [built, full.url, await this.gpu.fetch(full.url)]));
    await this.gpu.upload(fetched.map(([, , tex]) => tex));
    for (const [built, url, tex] of fetched) this.#apply(built, url, tex, current);
    if (current()) this.onChange(index, "sharp");
  }

  /** Load painting `id`'s largest texture (for the close-up); resolves, when done trying, to whether it shows. */
  async sharpen(id) {
    const built = this.built.paintings.get(id);
    const room = built.plan.room;
    await this.ensure(room);
    const largest = pickImage(built.plan.art, { wanted: Infinity, maxTexture: this.maxTexture, webp: this.webp });
    const generation = this.generation.get(room) || 0;
    if (largest && built.textureUrl !== largest.url) {
      built.largestUrl = largest.url; // a late, smaller upgrade must not replace it
      await this.#show(built, largest.url, () => (this.generation.get(room) || 0) === generation);
    }
    return !largest || built.textureUrl === largest.url;
  }

  async #show(built, rel, current) {
    const tex = await this.gpu.fetch(rel);
    await this.gpu.upload([tex]);
    this.#apply(built, rel, tex, current);
  }

  #apply(built, rel, tex, current) {
    if (!tex) {
      const retry = () => current() && this.#show(built, rel, current).then(() => this.onChange(built.plan.room, "retried"));
      sayIfImagesMoved(built.plan.art, this.resolve);
      return current() && this.missing.note(built.plan.id, retry);
    }
    if (!current() || (built.largestUrl && rel !== built.largestUrl)) return drop(tex);
    this.missing.found(built.plan.id);
    const mat = built.canvas.material;
    if (textured(mat)) drop(mat.map);
    mat.map = tex;
    built.textureUrl = rel;
    mat.color.setScalar(this.brightness(built.plan.id));
    mat.needsUpdate = true;
  }

  /** Repaint painting `id`'s wall label (if its room is loaded), e.g. when its music starts or stops. */
  redrawPlaque(id, playing) {
    const built = this.built.paintings.get(id);
    if (!built || !textured(built.plaque.material)) return;
    const tex = built.plaque.material.map;
    drawPlaque(tex.image, built.plan.art, { playing });
    tex.needsUpdate = true;
  }

  #plaque(built, art) {
    const mat = built.plaque.material;
    if (textured(mat)) return;
    mat.map = this.gpu.fromCanvas(drawPlaque(document.createElement("canvas"), art, { playing: this.isPlaying(built.plan.id) }));
    mat.color.set("#ffffff");
    mat.needsUpdate = true;
  }

  /** Free the GPU memory of room `index`; its paintings fall back to their placeholder colour. */
  release(index) {
    if (!this.rooms.has(index)) return;
    this.generation.set(index, (this.generation.get(index) || 0) + 1);
    this.rooms.delete(index);
    this.loaded.delete(index);
    for (const p of this.plan.rooms[index].paintings) {
      const built = this.built.paintings.get(p.id);
      for (const mesh of [built.canvas, built.plaque]) {
        if (textured(mesh.material)) drop(mesh.material.map);
        mesh.material.map = BLANK;
        built.textureUrl = built.largestUrl = null;
        mesh.material.needsUpdate = true;
      }
      built.canvas.material.color.set(built.placeholder);
      built.plaque.material.color.set("#d8d4cc");
    }
    this.onChange(index, "released");
  }
}
