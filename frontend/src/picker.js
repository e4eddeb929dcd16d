// What is under the pointer (or the crosshair): a painting, a spot on the floor, or something else.
import { Raycaster, Vector2 } from "three";

function shown(object) {
  for (let o = object; o; o = o.parent) if (!o.visible) return false;
  return true;
}

/**
 * pick(clientX, clientY) -> {paintingId, distance} | {floor: [x, z]} | {} | null; pass null for the
 * centre of the view (`centre()`: its normalised device coordinates). Walls are pickable too, so a painting behind a wall is never hit.
 */
export function makePicker(canvas, camera, pickables, centre = () => [0, 0]) {
  const raycaster = new Raycaster();
  raycaster.far = 40;
  const ndc = new Vector2();
  return function pick(clientX, clientY) {
    const rect = canvas.getBoundingClientRect();
    if (clientX === null) ndc.set(...centre());
    else ndc.set(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    // Objects built since the last frame have no world matrix yet: bring them (and the camera) up to date.
    const candidates = pickables.filter(shown);
    for (const o of candidates) o.updateWorldMatrix(true, false);
    camera.updateMatrixWorld();
    raycaster.setFromCamera(ndc, camera);
    const hit = raycaster.intersectObjects(candidates, false)[0];
    if (!hit) return null;
    const id = hit.object.userData.paintingId;
    if (id) return { paintingId: id, distance: hit.distance };
    if (hit.point.y < 0.02) return { floor: [hit.point.x, hit.point.z] };
    return {};
  };
}
