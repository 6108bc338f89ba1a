/* The pocket card's service worker (served at /my/sw.js, scope /my/).
   Network first: a card page or a static file comes from the server when it answers, and
   that copy is kept; offline, the last copy kept is shown. card.js puts the page and its
   files in the same cache on the first visit, before this worker controls the page. */
"use strict";

var CACHE = "wateja-card-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names.filter(function (name) {
          return name.indexOf("wateja-card-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); })
      );
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(request) {
  if (request.method !== "GET") { return false; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return false; }
  if (url.pathname.indexOf("/static/") === 0) { return true; }
  // the card and its manifest; not the chat-app buttons, which leave for the app
  return url.pathname.indexOf("/my/") === 0 && url.pathname.indexOf("/chat/") < 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!keepable(request)) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response && response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (found) {
          return found || Response.error();
        });
      });
    })
  );
});
