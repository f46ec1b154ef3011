// kehoach's own script: pages work without it; it only adds conveniences (no third-party code).
"use strict";

// A "Sao chép" (copy) button beside a new link: shown only when the script runs (the link stays selectable text).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "Đã sao chép"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
      } else {
        source.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
});

// Upload page: files dropped onto the zone go into its file field (the form is sent as without the script), and
// the names chosen are listed.
(function () {
  function list(zone, input) {
    var out = zone.querySelector("[data-drop-list]");
    if (!out) { return; }
    while (out.firstChild) { out.removeChild(out.firstChild); }
    Array.prototype.forEach.call(input.files || [], function (f) {
      var li = document.createElement("li");
      li.textContent = f.name;
      out.appendChild(li);
    });
  }
  function setUp(zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input) { return; }
    input.addEventListener("change", function () { list(zone, input); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("over");
      if (!e.dataTransfer || !e.dataTransfer.files.length) { return; }
      try {
        var all = new DataTransfer();
        Array.prototype.forEach.call(input.files || [], function (f) { all.items.add(f); });
        Array.prototype.forEach.call(e.dataTransfer.files, function (f) { all.items.add(f); });
        input.files = all.files;
      } catch (err) {
        input.files = e.dataTransfer.files; // older browsers: the files dropped replace the ones chosen
      }
      list(zone, input);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-drop-zone]"), setUp);
  });
})();
