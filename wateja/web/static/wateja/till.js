/* The till: F9 completes the sale (Enter only recalculates); when the server cannot be
   reached the till says so at once, keeps what was typed and offers a retry (the sale's key
   makes a repeated completion safe). */
(function () {
  "use strict";
  var last = null;
  document.addEventListener("keydown", function (event) {
    if (event.key === "F9") {
      var charge = document.querySelector("[data-charge]");
      if (charge && !charge.disabled) {
        event.preventDefault();
        charge.click();
      }
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    last = event.detail.elt;
  });
  function offline(show) {
    var notice = document.getElementById("till-offline");
    if (notice) notice.hidden = !show;
  }
  document.addEventListener("htmx:sendError", function () { offline(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) offline(false);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.matches("[data-retry]") || !last) return;
    offline(false);
    if (last.matches("[data-charge]")) {
      last.click();
    } else if (window.htmx) {
      window.htmx.trigger(document.getElementById("till-form"), "submit");
    }
  });
  // the typing boxes keep what is typed while a request is away (hx-preserve); a scan that
  // was sent and acted on is cleared when the answer comes, anything typed since is kept
  var sent = {};
  document.addEventListener("htmx:configRequest", function (event) {
    sent = { scan: event.detail.parameters.scan };
  });
  document.addEventListener("htmx:beforeSwap", function () {
    // a preserved box is the page's first one, autofocus and all: htmx would focus it again
    // and the rest of a code being typed when the answer lands would go into the scan box
    document.querySelectorAll("[hx-preserve][autofocus]").forEach(function (box) {
      box.removeAttribute("autofocus");
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.getElementById("scan");
    if (box && sent.scan && box.value === sent.scan) box.value = "";
    var scan = document.getElementById("scan");
    if (scan && document.activeElement === document.body) scan.focus();
  });
})();
