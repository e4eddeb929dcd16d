// When the 3D gallery's module never runs, the loader would wait for ever: say why and what to do. A classic
// script, which runs where the module cannot:
// - a gallery opened from a file on disk (a double-click on index.html): browsers refuse module scripts there;
//   the list view (a plain page) works from a file;
// - a module that could not load: a host that sends scripts as application/octet-stream (browsers refuse to
//   run such a module), a dropped connection, a blocked request. By the page's load event every deferred
//   and module script has run or failed, and the module's first act is to set window.imaudible.
// (The file keeps its first name: a gallery's own copy of index.html may ask for it.)
(function () {
  "use strict";
  function fail(message, why) {
    var text = document.getElementById("loader-text");
    if (!text) return;
    text.textContent = message;
    var loader = document.getElementById("loader");
    if (loader) loader.setAttribute("aria-busy", "false"); // a busy live region is not read out
    document.body.classList.add("failed", why);
  }
  if (window.location.protocol === "file:") {
    document.addEventListener("DOMContentLoaded", function () {
      fail("The 3D gallery cannot open from a file on your disk: browsers block its scripts there. " +
        "Preview it with `imaudible-site serve`, or visit it where it is published.", "opened-from-file");
    });
    return;
  }
  window.addEventListener("load", function () {
    if (window.imaudible) return;
    fail("The 3D gallery could not load its code. The list view below shows every artwork, with its music.",
      "code-not-loaded");
  });
})();
