// A gallery opened from a file on disk (a double-click on index.html): browsers refuse module scripts there,
// so the 3D gallery never starts and the loader would wait for ever. Say why and what to do; the list view
// (a plain page) works from a file. A classic script, which file:// pages may run.
(function () {
  "use strict";
  if (window.location.protocol !== "file:") return;
  document.addEventListener("DOMContentLoaded", function () {
    var text = document.getElementById("loader-text");
    if (!text) return;
    text.textContent =
      "The 3D gallery cannot open from a file on your disk: browsers block its scripts there. " +
      "Preview it with `imaudible-site serve`, or visit it where it is published.";
    document.body.classList.add("failed", "opened-from-file");
  });
})();
