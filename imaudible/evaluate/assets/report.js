// Hover cards and click-to-play for the report's SVG maps; under `imaudible-site serve`, the take buttons.
// No inline code anywhere: this file is loaded with script-src 'self', and works from file:// too.
(function () {
  "use strict";
  var state = { hovered: null, playing: null, ready: false };
  window.imaudibleReport = state;
  var card = document.getElementById("card");
  var player = document.getElementById("map-player");

  function show(point) {
    var img = card.querySelector("img");
    var thumb = point.getAttribute("data-thumb");
    if (thumb) { img.src = thumb; img.hidden = false; } else { img.hidden = true; }
    card.querySelector("span").textContent = point.getAttribute("data-title");
    var box = point.getBoundingClientRect();
    card.style.left = Math.round(box.right + window.scrollX + 8) + "px";
    card.style.top = Math.round(box.top + window.scrollY - 8) + "px";
    card.hidden = false;
    state.hovered = point.getAttribute("data-title");
  }

  function hide() { card.hidden = true; state.hovered = null; }

  function play(point) {
    var webm = point.getAttribute("data-webm"), m4a = point.getAttribute("data-m4a");
    var src = webm && player.canPlayType("audio/webm; codecs=opus") ? webm : (m4a || webm);
    if (!src) { return; }
    if (state.playing === point.getAttribute("data-id") && !player.paused) { player.pause(); return; }
    player.src = src;
    state.playing = point.getAttribute("data-id");
    var started = player.play();
    if (started && started.catch) { started.catch(function () { state.playing = null; }); }
  }

  player.addEventListener("ended", function () { state.playing = null; });
  document.querySelectorAll("svg .pt").forEach(function (point) {
    point.addEventListener("mouseenter", function () { show(point); });
    point.addEventListener("focus", function () { show(point); });
    point.addEventListener("mouseleave", hide);
    point.addEventListener("blur", hide);
    point.addEventListener("click", function () { play(point); });
    point.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); play(point); }
    });
  });

  // Take buttons exist in every copy of the page but only work where `serve` put its per-run token.
  var token = document.querySelector('meta[name="imaudible-token"]');
  if (token && location.protocol.indexOf("http") === 0) {
    document.querySelectorAll(".actions").forEach(function (p) { p.hidden = false; });
    document.querySelectorAll(".use-take, .reroll").forEach(function (button) {
      button.addEventListener("click", function () {
        var body = { id: button.getAttribute("data-id"),
                     action: button.classList.contains("reroll") ? "reroll" : "pick",
                     take: Number(button.getAttribute("data-take") || 0) };
        button.disabled = true;
        fetch("/_imaudible/takes", { method: "POST", headers: { "Content-Type": "application/json",
              "X-Imaudible-Token": token.getAttribute("content") }, body: JSON.stringify(body) })
          .then(function (r) { return r.json().then(function (answer) { return { ok: r.ok, answer: answer }; }); })
          .then(function (result) {
            button.textContent = result.answer.message || result.answer.error;
            button.disabled = result.ok;   // a refused request may be tried again
          })
          .catch(function () { button.disabled = false; });
      });
    });
  }
  state.ready = true;
}());
