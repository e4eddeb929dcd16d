// WebXR (VR) through three.js' own XR support (renderer.xr, its WebXRManager). A lazy chunk: loaded only
// when a visitor whose browser supports immersive-vr presses "Enter VR". A controller's select (trigger)
// on a painting plays its music, as a click does.
// three's classes come in as `three` (from vr.js): importing "three" here would make esbuild split the
// whole library out of gallery.js into a shared chunk, one more round trip before the first view.

/** The reference space that puts the visitor's feet where they stood, facing the way they looked. */
function standWhereTheVisitorWas({ Vector3 }, base, visitor) {
  // XR poses are read through the inverse of this transform (as in three's teleport example).
  const turn = -visitor.yaw;
  const at = new Vector3(visitor.x, 0, visitor.z).applyAxisAngle(new Vector3(0, 1, 0), turn).negate();
  const rotation = { x: 0, y: Math.sin(turn / 2), z: 0, w: Math.cos(turn / 2) };
  return base.getOffsetReferenceSpace(new XRRigidTransform({ x: at.x, y: at.y, z: at.z, w: 1 }, rotation));
}

function pointer({ BufferGeometry, Line, LineBasicMaterial, Vector3 }) {
  const geometry = new BufferGeometry().setFromPoints([new Vector3(0, 0, 0), new Vector3(0, 0, -1)]);
  const line = new Line(geometry, new LineBasicMaterial({ color: "#ffe9b8" }));
  line.scale.z = 6;
  return line;
}

/**
 * Start an immersive-vr session drawing `scene` from `camera`. select(id) is called when a controller's
 * ray picks painting `id`; ended() when the session ends. Resolves once the session is running.
 */
export async function enterVR({ three, renderer, scene, camera, visitor, pickables, select, ended }) {
  const session = await navigator.xr.requestSession("immersive-vr", { optionalFeatures: ["local-floor"] });
  renderer.xr.enabled = true;
  renderer.xr.setReferenceSpaceType("local-floor");
  await renderer.xr.setSession(session);
  renderer.xr.setReferenceSpace(standWhereTheVisitorWas(three, renderer.xr.getReferenceSpace(), visitor));

  const raycaster = new three.Raycaster();
  const rotation = new three.Matrix4();
  const controllers = [0, 1].map((i) => {
    const controller = renderer.xr.getController(i);
    controller.add(pointer(three));
    controller.addEventListener("select", () => {
      rotation.identity().extractRotation(controller.matrixWorld);
      raycaster.ray.origin.setFromMatrixPosition(controller.matrixWorld);
      raycaster.ray.direction.set(0, 0, -1).applyMatrix4(rotation);
      const id = raycaster.intersectObjects(pickables, false)[0]?.object.userData.paintingId;
      if (id) select(id);
    });
    scene.add(controller);
    return controller;
  });
  renderer.setAnimationLoop(() => renderer.render(scene, camera));
  session.addEventListener("end", () => {
    renderer.setAnimationLoop(null);
    renderer.xr.enabled = false;
    for (const c of controllers) scene.remove(c);
    ended();
  });
  return session;
}
