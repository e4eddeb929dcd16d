// The list view: say why it is shown when the 3D gallery fell back to it, and let only one piece of
// music play at a time.
(function () {
  "use strict";
  if (new URLSearchParams(window.location.search).has("nowebgl")) {
    var notice = document.getElementById("nowebgl-notice");
    if (notice) notice.hidden = false;
  }
  document.addEventListener(
    "play",
    function (event) {
      var playing = event.target;
      if (!playing || playing.tagName !== "AUDIO") return;
      document.querySelectorAll("audio").forEach(function (other) {
        if (other !== playing && !other.paused) other.pause();
      });
    },
    true
  );
})();
