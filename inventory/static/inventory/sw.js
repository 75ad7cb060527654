/* Service worker of the window pages (scope /windows/), served by inventory.offline.service_worker,
   which puts ``self.FB`` (cache names, asset URLs, API URLs) in front of this file.

   - The window page is fetched from the network first and kept in a cache: with no connection the
     last copy opens (its script shows the stock's age and the queue from IndexedDB).
   - Its styles, scripts and icons are kept too (network first, so a deploy is seen at once).
   - A Background Sync ("handout-queue") sends the queued handouts when the browser sees the
     connection return, even with the page closed (where the browser supports it).
   Everything else (API calls, form posts, other pages) is left to the network. */
/* global HandoutQueue */
"use strict";
importScripts(self.FB.queueScript);

var PAGES = self.FB.pagesCache;
var ASSETS = self.FB.assetsCache;
var PAGE_PATH = /^\/windows\/\d+\/$/;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSETS).then(function (cache) { return cache.addAll(self.FB.assets); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("window-assets-") === 0 && name !== ASSETS;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  var html = "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" + self.FB.offlineTitle +
    "</title></head><body><main><h1>" + self.FB.offlineTitle + "</h1><p>" + self.FB.offlineText +
    "</p></main></body></html>";
  return new Response(html, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function page(request, url) {
  return fetch(request).then(function (response) {
    // Keep the plain page (not a login redirect, not ?recorded=… with its one-off message).
    if (response.ok && !response.redirected && !url.search) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(url.pathname); })
      .then(function (cached) { return cached || offlinePage(); });
  });
}

function asset(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(ASSETS).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (cached) { return cached || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && PAGE_PATH.test(url.pathname)) {
    event.respondWith(page(request, url));
  } else if (self.FB.assets.indexOf(url.pathname) !== -1) {
    event.respondWith(asset(request));
  }
});

function tellPages(result) {
  return self.clients.matchAll({type: "window"}).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({type: "queue-synced", result: result}); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "handout-queue") { return; }
  event.waitUntil(HandoutQueue.sync(self.FB.urls).then(function (result) {
    return tellPages(result).then(function () {
      // Not through yet: failing the event lets the browser try again later.
      if (result.stopped === "offline" || result.stopped === "server") { throw new Error(result.stopped); }
    });
  }));
});
