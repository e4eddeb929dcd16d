// The list view: open artwork pages from a file on disk too, say why it is shown when the 3D gallery fell
// back to it, let only one piece of music play at a time, and say so when a piece's file is missing or
// damaged, in a format this browser lacks, or could not be fetched because the device is offline (loaded
// again once it is back online).
(function () {
  "use strict";
  // Opened from a file on disk, a link to a folder (an artwork's page, art/<id>/) would show the folder's
  // listing: a browser opens no index.html there, as every web host does.
  if (window.location.protocol === "file:") {
    document.querySelectorAll("a[href]").forEach(function (link) {
      var target = new URL(link.href);
      if (target.protocol !== "file:" || !/\/$/.test(target.pathname)) return;
      target.pathname += "index.html";
      link.href = target.href;
    });
  }
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
