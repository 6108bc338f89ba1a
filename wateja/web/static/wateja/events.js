/* Events: the check-in box at the door empties itself and keeps the focus after each
   guest, so the next card can be scanned at once. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-clear-after]")) { return; }
    var input = form.querySelector("input[name=query]");
    if (input) { input.value = ""; input.focus(); }
  });
})();
