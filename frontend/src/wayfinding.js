// Finding your way in a big show: the room name on screen ("Room 3 of 15 · Calm blues"), a minimap of the
// floor plan with "you are here" (a click walks you there; its rooms are buttons too, for the keyboard and
// screen readers), and an index drawer of every work with search.
import { artistLine, isolate, pickThumb } from "./data.js";
import { $ } from "./dom.js";
import { roomCentre } from "./floorplan.js";

export function roomName(plan, titles, index) {
  const title = titles?.[index];
  return `Room ${index + 1} of ${plan.rooms.length}${title ? ` · ${isolate(title)}` : ""}`;
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
    this.walkTo = walkTo;
    canvas.addEventListener("click", (e) => this.#walkToPointer(e));
  }

  #walkToPointer(e) {
    const r = this.canvas.getBoundingClientRect();
    this.walkTo(this.#toPlan((e.clientX - r.left) * (this.canvas.width / r.width), (e.clientY - r.top) * (this.canvas.height / r.height)));
  }

  /**
   * One button per room over the map, for the keyboard and screen readers: one Tab stop, the arrow keys go to
   * the room that way on the plan, Home and End to the first and last, Enter or Space walks there. A click
   * on a button still walks to the point clicked.
   */
  roomButtons(group, labelOf) {
    const { canvas, plan } = this;
    const [w, h] = [canvas.width / this.scale, canvas.height / this.scale];
    this.buttons = plan.rooms.map((room, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "minimap-room";
      button.tabIndex = i === 0 ? 0 : -1;
      button.dataset.room = String(i);
      Object.assign(button.style, {
        left: `${((room.x0 - this.origin[0]) / w) * 100}%`,
        top: `${((room.z0 - this.origin[1]) / h) * 100}%`,
        width: `${((room.x1 - room.x0) / w) * 100}%`,
        height: `${((room.z1 - room.z0) / h) * 100}%`,
      });
      button.addEventListener("click", (e) => {
        if (e.detail > 0) this.#walkToPointer(e); // a pointer's click: the point under it
        else this.walkTo(roomCentre(room));
      });
      button.addEventListener("keydown", (e) => this.#arrow(e, i));
      group.append(button);
      return button;
    });
    this.labelOf = labelOf;
    this.here(0);
  }

  /** The room the visitor is in: its button says so, and is the group's Tab stop when focus is elsewhere. */
  here(index) {
    if (!this.buttons) return;
    const focused = this.buttons.includes(document.activeElement);
    this.buttons.forEach((button, i) => {
      button.setAttribute("aria-label", `${this.labelOf(i)}${i === index ? ", you are here" : ""}`);
      if (i === index) button.setAttribute("aria-current", "location");
      else button.removeAttribute("aria-current");
      if (!focused) button.tabIndex = i === index ? 0 : -1;
    });
  }

  #arrow(e, from) {
    const to = e.key === "Home" ? 0 : e.key === "End" ? this.buttons.length - 1 : this.#roomToward(from, e.key);
    if (to === undefined) return;
    e.preventDefault(); // the arrow moves along the map, not the visitor (keyboard.js leaves it alone here)
    if (to === null) return;
    this.buttons[from].tabIndex = -1;
    this.buttons[to].tabIndex = 0;
    this.buttons[to].focus();
  }

  /** The nearest room in an arrow key's direction from room `from` (null: none that way; undefined: no arrow). */
  #roomToward(from, key) {
    const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
    if (!dir) return undefined;
    const [fx, fz] = roomCentre(this.plan.rooms[from]);
    let best = null;
    let bestCost = Infinity;
    this.plan.rooms.forEach((room, i) => {
      const [x, z] = roomCentre(room);
      const [dx, dz] = [x - fx, z - fz];
      const along = dx * dir[0] + dz * dir[1];
      const across = Math.abs(dx * dir[1] - dz * dir[0]);
      if (i === from || along <= 0.01 || across > along) return; // not that way
      const cost = along + 2 * across;
      if (cost < bestCost) [best, bestCost] = [i, cost];
    });
    return best;
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
      return { li, haystack: folded(`${art.title} ${art.artist || ""} ${art.year || ""}`) };
    });
    search.addEventListener("input", () => this.filter(search.value));
    $("index-close")?.addEventListener("click", () => this.close());
    this.dialog.addEventListener("close", () => $("index-button")?.setAttribute("aria-expanded", "false"));
  }

  filter(query) {
    const words = folded(query).split(/\s+/).filter(Boolean);
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
export function wayfinding({ plan, data, order, resolve, webp, walkTo, goTo, announce }) {
  const titles = data.layout?.titles;
  const label = $("room-name");
  const mapCanvas = $("minimap");
  // The room name on screen and on the door signs is drawn or silent: a screen reader hears it on arrival.
  let here = 0;
  const sayRoom = () => announce(roomName(plan, titles, here));
  const walk = (xz) => walkTo(xz).then((arrived) => (arrived && sayRoom(), arrived));
  const minimap = mapCanvas ? new Minimap(mapCanvas, plan, walk) : null;
  const roomGroup = $("minimap-rooms");
  if (minimap && roomGroup) minimap.roomButtons(roomGroup, (i) => roomName(plan, titles, i));
  const drawer = new IndexDrawer({ artworks: data.artworks, order, resolve, webp, choose: goTo });
  $("index-button")?.addEventListener("click", () => drawer.open());
  let drawnAt = 0;
  return {
    minimap,
    drawer,
    /** The visitor is in room `index`; `walkedIn`: on foot (a glide's end or a painting says where it is). */
    room(index, walkedIn = false) {
      here = index;
      if (label) label.textContent = roomName(plan, titles, index);
      if (walkedIn) sayRoom();
      minimap?.here(index);
    },
    moved(visitor, currentRoom, now, force = false) {
      if (!minimap || (!force && now - drawnAt < 150)) return;
      drawnAt = now;
      minimap.draw(visitor, currentRoom);
    },
  };
}

/** Text as a search compares it: without accents or case, with one kind of apostrophe, so that "durer" finds
 * Dürer and "whistler's" finds Whistler’s. */
function folded(text) {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").replace(/[\u2018\u2019\u02bc]/g, "'").toLowerCase();
}
