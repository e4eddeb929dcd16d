// The device's connection as the page sees it. Offline, the visitor is told so (what is not loaded yet cannot
// come) without being stopped; back online, the line goes, with the offline failure of a piece it replaced.
import { OFFLINE } from "./data.js";
import { state, update } from "./state.js";

const NOTICE = "This device is offline: paintings and music that have not loaded yet will load once it is back online.";

function changed() {
  if (navigator.onLine === false) {
    if (!state.error) update({ error: NOTICE });
  } else if (state.error === NOTICE || state.error?.includes(OFFLINE)) update({ error: null });
}

export function watchConnection() {
  window.addEventListener("offline", changed);
  window.addEventListener("online", changed);
}
