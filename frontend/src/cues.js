// Shows in the room which painting is selected and which one plays: the selected work gets a soft outline
// and a brighter light, the playing one a brighter light and a ♪ on its wall label.
import { AdditiveBlending, CanvasTexture, Mesh, MeshBasicMaterial, SRGBColorSpace } from "three";
import { DIMS } from "./layout.js";
import { BLANK } from "./scene.js";

const DIM = 0.8; // canvas brightness of works that are neither selected nor playing
const POOL = { rest: 0.3, lit: 0.5 };

function glowTexture() {
  const c = document.createElement("canvas");
  c.width = c.height = 64;
  const ctx = c.getContext("2d");
  ctx.shadowColor = "rgba(255, 226, 160, 0.9)";
  ctx.shadowBlur = 6;
  ctx.strokeStyle = "rgba(255, 236, 190, 0.9)";
  ctx.lineWidth = 3;
  ctx.strokeRect(14, 14, 36, 36);
  const tex = new CanvasTexture(c);
  tex.colorSpace = SRGBColorSpace;
  return tex;
}

export class SceneCues {
  /** built: buildScene's result; redrawPlaque(id, playing): repaint a wall label (when textured). */
  constructor(built, plane, redrawPlaque) {
    this.built = built;
    this.redrawPlaque = redrawPlaque;
    this.selected = null;
    this.playing = null;
    this.plane = plane;
    this.glow = new MeshBasicMaterial({ map: glowTexture(), transparent: true, opacity: 0.6, blending: AdditiveBlending, depthWrite: false });
    for (const b of built.paintings.values()) this.add(b);
  }

  /** Give a newly built painting its pool of light and outline. */
  add(b) {
    b.pool.material = b.pool.material.clone();
    const outline = new Mesh(this.plane, this.glow);
    const p = b.plan;
    outline.position.set(p.centre[0] + p.normal[0] * 0.008, p.centreY, p.centre[1] + p.normal[1] * 0.008);
    outline.rotation.y = Math.atan2(p.normal[0], p.normal[1]);
    // The glow's stroke covers the middle 56% of its texture: put it just outside the frame.
    outline.scale.set((p.size.w + 2 * DIMS.frame + 0.1) / 0.5625, (p.size.h + 2 * DIMS.frame + 0.1) / 0.5625, 1);
    outline.renderOrder = 2;
    outline.visible = false;
    b.group.add(outline);
    b.outline = outline;
    this.#apply(b);
  }

  /** Canvas brightness for a painting that just got its texture. */
  brightness(id) {
    return id === this.selected || id === this.playing ? 1 : DIM;
  }

  #apply(b) {
    const id = b.plan.id;
    const lit = id === this.selected || id === this.playing;
    b.pool.material.opacity = lit ? POOL.lit : POOL.rest;
    b.outline.visible = id === this.selected;
    if (b.canvas.material.map !== BLANK) b.canvas.material.color.setScalar(this.brightness(id));
  }

  #refresh(...ids) {
    for (const id of new Set(ids)) {
      const b = id && this.built.paintings.get(id);
      if (b) this.#apply(b);
    }
  }

  select(id) {
    const before = this.selected;
    this.selected = id;
    this.#refresh(before, id);
  }

  play(id) {
    const before = this.playing;
    if (before === id) return;
    this.playing = id;
    this.#refresh(before, id);
    if (before) this.redrawPlaque(before, false);
    if (id) this.redrawPlaque(id, true);
  }
}
