// The list view: say why it is shown when the 3D gallery fell back to it, let only one piece of music
// play at a time, and say so when a piece's file is missing or damaged, in a format this browser lacks, or
// could not be fetched because the device is offline (loaded again once it is back online).
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
  // Each <source> that fails fires its own error; the player is stuck once the last one has failed (or the
  // file chosen fails to decode later, an error on the <audio> itself).
  document.addEventListener(
    "error",
    function (event) {
      var el = event.target;
      var audio = el.tagName === "SOURCE" ? el.parentElement : el;
      if (!audio || audio.tagName !== "AUDIO") return;
      if (el !== audio && el !== audio.querySelector("source:last-of-type")) return;
      if (audio.nextElementSibling && audio.nextElementSibling.className === "audio-error") return;
      var line = document.createElement("p");
      line.className = "audio-error";
      line.setAttribute("role", "alert");
      var known = Array.prototype.some.call(audio.querySelectorAll("source"), function (source) {
        return audio.canPlayType(source.type) !== "";
      });
      var offline = navigator.onLine === false;
      if (offline) line.dataset.offline = "";
      line.textContent = offline
        ? "This music could not be loaded: this device is offline. Play it again once it is back online."
        : known
        ? "This music could not be played: the file is missing or damaged."
        : "This browser cannot play this music: open the gallery in a current Chrome, Edge, Firefox or Safari.";
      audio.after(line);
    },
    true
  );
  // A player whose file failed stays failed (play does nothing) until it loads again: back online, the
  // players that failed offline load again, so their play button works.
  window.addEventListener("online", function () {
    document.querySelectorAll(".audio-error[data-offline]").forEach(function (line) {
      var audio = line.previousElementSibling;
      line.remove();
      if (audio && audio.tagName === "AUDIO") audio.load();
    });
  });
})();
