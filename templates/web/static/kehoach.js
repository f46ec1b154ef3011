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
