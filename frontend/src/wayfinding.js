// Finding your way in a big show: the room name on screen ("Room 3 of 15 · Calm blues"), a minimap of the
// floor plan with "you are here" (a click walks you there), and an index drawer of every work with search.
import { artistLine, pickThumb } from "./data.js";

const $ = (id) => document.getElementById(id);

export function roomName(plan, titles, index) {
  const title = titles?.[index];
  return `Room ${index + 1} of ${plan.rooms.length}${title ? ` · ${title}` : ""}`;
}

const SPAN = 36; // metres of the plan the minimap shows around the visitor

export class Minimap {
  /** walkTo([x, z]) walks the visitor to a point of the plan. */
  constructor(canvas, plan, walkTo) {
    this.canvas = canvas;
    this.plan = plan;
    this.length = plan.rooms[plan.rooms.length - 1].x1 - plan.rooms[0].x0;
    canvas.addEventListener("click", (e) => {
      const r = canvas.getBoundingClientRect();
      walkTo(this.#toPlan((e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)));
    });
  }

  #scale() {
    return this.canvas.width / Math.min(SPAN, this.length + 2);
  }

  #toPlan(px, py) {
    const s = this.#scale();
    return [this.left + px / s, py / s - this.plan.width / 2 - 0.5];
  }

  /** Where the plan point (x, z) is on the minimap canvas, in CSS pixels from its top-left corner. */
  toScreen([x, z]) {
    const s = this.#scale();
    const k = this.canvas.getBoundingClientRect().width / this.canvas.width;
    return [(x - this.left) * s * k, (z + this.plan.width / 2 + 0.5) * s * k];
  }

  draw(visitor, currentRoom) {
    const { canvas, plan } = this;
    const s = this.#scale();
    canvas.height = Math.round((plan.width + 1) * s);
    const view = canvas.width / s;
    const start = plan.rooms[0].x0 - 1;
    this.left = Math.max(start, Math.min(visitor.x - view / 2, start + this.length + 2 - view));
    const ctx = canvas.getContext("2d");
    const X = (x) => (x - this.left) * s;
    const Z = (z) => (z + plan.width / 2 + 0.5) * s;
    ctx.fillStyle = "#1c1a18";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const r of plan.rooms) {
      ctx.fillStyle = r.index === currentRoom ? "#5b5043" : "#3a3530";
      ctx.fillRect(X(r.x0), Z(-plan.width / 2), (r.x1 - r.x0) * s, plan.width * s);
    }
    ctx.fillStyle = "#e2b866";
    for (const p of plan.paintings) ctx.fillRect(X(p.centre[0]) - 2, Z(p.centre[1]) - 2, 4, 4);
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(X(visitor.x), Z(visitor.z), 4.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(X(visitor.x), Z(visitor.z));
    ctx.lineTo(X(visitor.x - Math.sin(visitor.yaw) * 1.6), Z(visitor.z - Math.cos(visitor.yaw) * 1.6));
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
      text.firstChild.textContent = `${i + 1}. ${art.title}`;
      text.lastChild.textContent = artistLine(art);
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
