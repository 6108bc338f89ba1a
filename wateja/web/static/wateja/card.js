/* The pocket card page: registers the service worker that keeps the card showing offline,
   keeps this page and its files for then, says when what is shown is the last copy, and
   copies the invitation link. No inline script: the page's CSP forbids it. */
(function () {
  "use strict";
  var CACHE = "wateja-card-v1";
  var body = document.body;

  function pageFiles() {
    var files = [location.pathname];
    var nodes = document.querySelectorAll("link[rel=stylesheet], script[src], link[rel=manifest], link[rel=icon]");
    Array.prototype.forEach.call(nodes, function (node) {
      var url = node.getAttribute("href") || node.getAttribute("src");
      if (url) { files.push(url); }
    });
    (body.getAttribute("data-offline-files") || "").split(" ").forEach(function (url) {
      if (url) { files.push(url); }
    });
    return files;
  }

  function keepForOffline() {
    if (!("caches" in window) || !navigator.onLine) { return Promise.resolve(); }
    return caches.open(CACHE).then(function (cache) {
      return cache.addAll(pageFiles());
    }).then(function () {
      body.setAttribute("data-offline-ready", "1");
    }).catch(function () { /* nothing kept: the page still works online */ });
  }

  function showOffline() {
    var note = document.querySelector("[data-offline-note]");
    if (note) { note.hidden = navigator.onLine; }
  }

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(body.getAttribute("data-sw") || "/my/sw.js", { scope: "/my/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(keepForOffline)
      .then(function () { body.setAttribute("data-sw-ready", "1"); })
      .catch(function () { body.setAttribute("data-sw-ready", "0"); });
  }
  showOffline();
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () {
        var label = button.getAttribute("data-copied");
        if (label) { button.textContent = label; }
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      }
    });
  });
})();
