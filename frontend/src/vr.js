// The "Enter VR" button: shown only where the browser says immersive-vr works. The XR code itself (xr.js)
// is a separate chunk, fetched on the first press, so nobody else downloads it.
import { BufferGeometry, Line, LineBasicMaterial, Matrix4, Raycaster, Vector3 } from "three";

/** The three.js classes xr.js uses (it must not import "three" itself: see there). */
export const XR_THREE = { BufferGeometry, Line, LineBasicMaterial, Matrix4, Raycaster, Vector3 };

/** open() -> Promise<XRSession> starts VR; say(text) tells the visitor what happened. */
export function offerVR(button, open, say) {
  if (!button || !navigator.xr?.isSessionSupported) return;
  let session = null;
  navigator.xr
    .isSessionSupported("immersive-vr")
    .then((supported) => {
      if (!supported) return;
      button.hidden = false;
      button.addEventListener("click", async () => {
        if (session) return session.end();
        button.disabled = true;
        try {
          session = await open();
          button.textContent = "Exit VR";
          session.addEventListener("end", () => {
            session = null;
            button.textContent = "Enter VR";
          });
        } catch (err) {
          say(`VR could not start: ${err?.message || err}`);
        } finally {
          button.disabled = false;
        }
      });
    })
    .catch(() => {});
}
