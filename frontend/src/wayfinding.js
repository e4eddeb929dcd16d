// Finding your way in a big show: the room name on screen ("Room 3 of 15 · Calm blues"), a minimap of the
// floor plan with "you are here" (a click walks you there), and an index drawer of every work with search.
import { artistLine, isolate, pickThumb } from "./data.js";
import { $ } from "./dom.js";

export function roomName(plan, titles, index) {
  const title = titles?.[index];
  return `Room ${index + 1} of ${plan.rooms.length}${title ? ` · ${title}` : ""}`;
}

const PAD = 0.6; // metres of margin around the plan on the minimap

/** The whole floor plan, fitted to the canvas' width: rooms, doorways, works and "you are here". */
export class Minimap {
  /** walkTo([x, z]) walks the visitor to a point of the plan. */
  constructor(canvas, plan, walkTo) {
    this.canvas = canvas;
    this.plan = plan;
    const b = plan.bounds;
    this.origin = [b.x0 - PAD, b.z0 - PAD];
    this.scale = canvas.width / (b.x1 - b.x0 + 2 * PAD);
    canvas.height = Math.round((b.z1 - b.z0 + 2 * PAD) * this.scale);
    canvas.addEventListener("click", (e) => {
      const r = canvas.getBoundingClientRect();
      walkTo(this.#toPlan((e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)));
    });
  }

  #toPlan(px, py) {
    return [this.origin[0] + px / this.scale, this.origin[1] + py / this.scale];
  }

  #px([x, z]) {
    return [(x - this.origin[0]) * this.scale, (z - this.origin[1]) * this.scale];
  }

  /** Where the plan point (x, z) is on the minimap canvas, in CSS pixels from its top-left corner. */
  toScreen(xz) {
    const k = this.canvas.getBoundingClientRect().width / this.canvas.width;
    return this.#px(xz).map((v) => v * k);
  }

  draw(visitor, currentRoom) {
    const { canvas, plan, scale: s } = this;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#1c1a18";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const r of plan.rooms) {
      ctx.fillStyle = r.index === currentRoom ? "#5b5043" : "#3a3530";
      const [x, y] = this.#px([r.x0, r.z0]);
      ctx.fillRect(x, y, (r.x1 - r.x0) * s, (r.z1 - r.z0) * s);
    }
    ctx.fillStyle = "#7d705f";
    for (const d of plan.doors) {
      const [x, y] = this.#px([d.x, d.z]);
      const [w, h] = d.axis === "x" ? [0.6 * s, 1.8 * s] : [1.8 * s, 0.6 * s];
      ctx.fillRect(x - w / 2, y - h / 2, w, h);
    }
    ctx.fillStyle = "#e2b866";
    for (const p of plan.paintings) {
      const [x, y] = this.#px(p.centre);
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    const [vx, vy] = this.#px([visitor.x, visitor.z]);
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(vx, vy, 3.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(vx, vy);
    ctx.lineTo(...this.#px([visitor.x - Math.sin(visitor.yaw) * 1.6, visitor.z - Math.cos(visitor.yaw) * 1.6]));
    ctx.stroke();
  }
}

/** The index drawer: every work as a thumbnail button, filtered by a search on title and artist. */
export class IndexDrawer {
  constructor({ artworks, order, resolve, webp, choose }) {
    this.dialog = $("index-drawer");
    const list = $("index-list");
    const search = $("index-search");
    if (!this.dialog || !list || !search) return;
    const byId = new Map(artworks.map((a) => [a.id, a]));
    this.items = order.map((id, i) => {
      const art = byId.get(id);
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.art = id;
      const thumb = pickThumb(art, webp);
      if (thumb) {
        const img = document.createElement("img");
        Object.assign(img, { src: resolve(thumb.url), alt: "", loading: "lazy", decoding: "async", width: 64, height: 64 });
        button.append(img);
      }
      const text = document.createElement("span");
      text.innerHTML = "<strong></strong><small></small>";
      text.firstChild.textContent = `${i + 1}. ${isolate(art.title)}`;
      text.lastChild.textContent = artistLine(art);
      text.lastChild.dir = "auto";
      button.append(text);
      button.addEventListener("click", () => {
        this.close();
        choose(id);
      });
      li.append(button);
      list.append(li);
      return { li, haystack: `${art.title} ${art.artist || ""} ${art.year || ""}`.toLowerCase() };
    });
    search.addEventListener("input", () => this.filter(search.value));
    $("index-close")?.addEventListener("click", () => this.close());
    this.dialog.addEventListener("close", () => $("index-button")?.setAttribute("aria-expanded", "false"));
  }

  filter(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of this.items) {
      item.li.hidden = !words.every((w) => item.haystack.includes(w));
      if (!item.li.hidden) shown++;
    }
    const count = $("index-count");
    if (count) count.textContent = `${shown} of ${this.items.length} works`;
  }

  open() {
    if (!this.dialog || this.dialog.open) return;
    this.dialog.showModal();
    $("index-button")?.setAttribute("aria-expanded", "true");
    $("index-search")?.focus();
  }

  close() {
    if (this.dialog?.open) this.dialog.close();
  }
}

/** Wire the room name, the minimap and the index drawer; returns what the frame loop calls. */
export function wayfinding({ plan, data, order, resolve, webp, walkTo, goTo }) {
  const titles = data.layout?.titles;
  const label = $("room-name");
  const mapCanvas = $("minimap");
  const minimap = mapCanvas ? new Minimap(mapCanvas, plan, walkTo) : null;
  const drawer = new IndexDrawer({ artworks: data.artworks, order, resolve, webp, choose: goTo });
  $("index-button")?.addEventListener("click", () => drawer.open());
  let drawnAt = 0;
  return {
    minimap,
    drawer,
    room(index) {
      if (label) label.textContent = roomName(plan, titles, index);
    },
    moved(visitor, currentRoom, now, force = false) {
      if (!minimap || (!force && now - drawnAt < 150)) return;
      drawnAt = now;
      minimap.draw(visitor, currentRoom);
    },
  };
}
