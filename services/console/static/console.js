// The console's only script: live operation timelines and adding target rows when planning.
// Everything works without it; it only saves a reload.
(function () {
  "use strict";

  function liveTimeline() {
    var box = document.querySelector("[data-live]");
    var status = document.getElementById("live-status");
    if (!box || !window.EventSource) { return; }
    var source = new EventSource(box.getAttribute("data-live"));
    source.addEventListener("ready", function () { box.setAttribute("data-live-ready", "true"); });
    source.addEventListener("changed", function () {
      fetch(box.getAttribute("data-fragment"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          box.innerHTML = html;
          if (status) {
            status.textContent = "Tidslinjen uppdaterades " + new Date().toLocaleTimeString("sv-SE") + ".";
          }
        })
        .catch(function () { if (status) { status.textContent = "Kunde inte uppdatera; ladda om sidan."; } });
    });
    source.addEventListener("gone", function () {
      source.close();
      if (status) { status.textContent = "Du har inte längre tillgång till operationen."; }
    });
  }

  function addTargetRows() {
    var button = document.getElementById("add-target");
    var list = document.getElementById("targets");
    if (!button || !list) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = list.querySelectorAll("fieldset.target");
      var next = rows.length;
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelector("legend").textContent = "Mål " + (next + 1);
      var renumber = function (text) { return text.replace(/^target_\d+_/, "target_" + next + "_"); };
      copy.querySelectorAll("input, select").forEach(function (input) {
        input.value = input.tagName === "SELECT" ? "other" : "";
        input.name = renumber(input.name);
        input.id = renumber(input.id);
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      copy.querySelectorAll(".error-text").forEach(function (p) { p.remove(); });
      copy.querySelectorAll("label").forEach(function (label) { label.htmlFor = renumber(label.htmlFor); });
      list.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { liveTimeline(); addTargetRows(); });
}());
