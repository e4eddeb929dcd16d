// Prints, as JSON, the front end's exhibition plan for site data read from stdin, plus where random
// walks (through frontend/src/layout.js's collide) ended up. Used by test_layout.py.
import { readFileSync } from "node:fs";
import { DIMS, collide, planGallery } from "../../frontend/src/layout.js";

const data = JSON.parse(readFileSync(0, "utf8"));
const plan = planGallery(data);
let seed = 7;
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const walks = [];
for (let w = 0; w < 20; w++) {
  const room = plan.rooms[w % plan.rooms.length];
  let [x, z] = [(room.x0 + room.x1) / 2, 0];
  let heading = rand() * 2 * Math.PI;
  const visited = [];
  for (let i = 0; i < 400; i++) {
    if (rand() < 0.05) heading = rand() * 2 * Math.PI;
    [x, z] = collide(plan, x, z, Math.cos(heading) * 0.2, Math.sin(heading) * 0.2);
    visited.push([x, z]);
  }
  walks.push(visited);
}
const paintings = plan.paintings.map(({ art, ...p }) => p);
console.log(JSON.stringify({ dims: DIMS, width: plan.width, rooms: plan.rooms.map(({ paintings: _, ...r }) => r), walls: plan.walls, doors: plan.doors, paintings, walks }));
