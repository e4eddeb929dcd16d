// Prints, as JSON, the front end's exhibition plan for site data read from stdin, plus where random
// walks (through frontend/src/layout.js's collide) ended up. Used by test_layout.py.
import { readFileSync } from "node:fs";
import { DIMS, collide, planGallery, route } from "../../frontend/src/layout.js";

const data = JSON.parse(readFileSync(0, "utf8"));
const plan = planGallery(data);
let seed = 7;
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const walks = [];
for (let w = 0; w < 20; w++) {
  const room = plan.rooms[w % plan.rooms.length];
  let [x, z] = [(room.x0 + room.x1) / 2, (room.z0 + room.z1) / 2];
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
// The route from the first room's middle to the last room's middle, through the doorways.
const centre = (r) => [(r.x0 + r.x1) / 2, (r.z0 + r.z1) / 2];
const first = plan.rooms[0];
const last = plan.rooms[plan.rooms.length - 1];
const across = [centre(first), ...route(plan, centre(first), centre(last))];
const rooms = plan.rooms.map(({ paintings: _, segments: __, ...r }) => r);
console.log(JSON.stringify({ dims: DIMS, bounds: plan.bounds, rooms, walls: plan.walls, doors: plan.doors, paintings, walks, across }));
