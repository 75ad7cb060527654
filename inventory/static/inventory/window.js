/* The window page, offline first (docs/window-offline.md).

   A tap on "record" stores the handout on this device (queue.js) with its own Idempotency-Key and
   the time of the tap, then sends the queue in order: at once when there is a connection, when it
   returns, on the next page open, and through the service worker's Background Sync. Sent at once,
   the page shows the server's confirmation as before; refused at once, it says why and records
   nothing. Queued, it is listed as 「未送信」; refused later, it waits in 「要確認」 for a decision.
   Without this script the form is an ordinary form post. */
/* global HandoutQueue */
(function () {
  "use strict";
  var configNode = document.getElementById("window-config");
  var form = document.getElementById("handout-form");
  if (!configNode || !form || !window.indexedDB || !window.fetch || !window.HandoutQueue) { return; }
  var cfg = JSON.parse(configNode.textContent);
  var S = cfg.strings;
  var Q = HandoutQueue;
  var lang = document.documentElement.lang || "ja";
  var button = form.querySelector("button[type=submit]");
  var statusLine = form.querySelector("[data-status]");
  var banner = document.getElementById("queue-banner");
  var loginExpired = false;
  var retryTimer = null;
  var retryDelay = 1000;
  var snapshot = null;
  var lastItems = [];

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = form.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function linesText(sets) {
    return Object.keys(sets).map(function (code) {
      return (cfg.packTypes[code] || code) + " × " + sets[code];
    }).join("、");
  }

  function when(iso) {
    return new Date(iso).toLocaleString(lang, {month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit"});
  }

  // --- Reading the form -------------------------------------------------------------------------

  function readForm() {
    var data = new FormData(form);
    var choice = data.get("choice");
    var sets = {};
    if (choice === "custom") {
      Object.keys(cfg.packTypes).forEach(function (code) {
        var n = parseInt(data.get("qty_" + code) || "0", 10);
        if (n > 0) { sets[code] = n; }
      });
    } else if (cfg.presets[choice]) {
      sets = Object.assign({}, cfg.presets[choice]);
    }
    if (!Object.keys(sets).length) { return null; }
    var size = parseInt(data.get("household_size") || "", 10);
    var picked = data.get("occurred_at");
    return {
      sets: sets,
      body: {
        site: cfg.site,
        lines: Object.keys(sets).map(function (code) { return {pack_type: code, quantity: sets[code]}; }),
        household: {size: size > 0 ? size : null, type: data.get("household_type") || "unknown"},
        referral_consent: data.get("referral_consent") === "on",
        condition_checked: data.get("condition_checked") === "on",
        note: data.get("note") || "",
        // The time of the tap (or the one chosen in 「いつ」), not the time it reaches the server.
        occurred_at: (picked ? new Date(picked) : new Date()).toISOString()
      }
    };
  }

  // --- Showing the stock, the queue and what to check -------------------------------------------

  function age(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) { return S.justNow; }
    if (minutes < 60) { return fmt(S.minutesAgo, {n: minutes}); }
    if (minutes < 60 * 24) { return fmt(S.hoursAgo, {n: Math.floor(minutes / 60)}); }
    return fmt(S.daysAgo, {n: Math.floor(minutes / 1440)});
  }

  function renderStock(items) {
    if (!snapshot) { return; }
    var queued = {};
    items.forEach(function (item) {
      if (item.site !== cfg.site || item.state !== "pending") { return; }
      Object.keys(item.sets).forEach(function (code) { queued[code] = (queued[code] || 0) + item.sets[code]; });
    });
    document.querySelectorAll("[data-stock-code]").forEach(function (card) {
      var code = card.getAttribute("data-stock-code");
      if (!(code in snapshot.quantities)) { return; }
      var n = Math.max(0, snapshot.quantities[code] - (queued[code] || 0));
      var qty = card.querySelector(".stock-qty");
      qty.textContent = String(n);
      qty.setAttribute("aria-label", fmt(S.inStock, {n: n}));
    });
    var line = document.getElementById("stock-age");
    var at = new Date(snapshot.at);
    line.textContent = fmt(S.stockAt, {
      time: at.toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"}), age: age(Date.now() - snapshot.at)
    });
    line.hidden = false;
  }

  function renderBanner(mine, others) {
    var parts = [];
    var pending = mine.filter(function (x) { return x.state === "pending"; }).length;
    banner.textContent = "";
    if (!navigator.onLine) { parts.push(el("p", {text: S.offline})); }
    if (pending) { parts.push(el("p", {"class": "queue-count", text: fmt(S.unsent, {n: pending})})); }
    if (loginExpired && pending) {
      parts.push(el("p", {}, [
        document.createTextNode(S.login + " "),
        el("a", {href: cfg.urls.login + "?next=" + encodeURIComponent(cfg.urls.page), text: S.loginLink})
      ]));
    }
    if (others) { parts.push(el("p", {text: fmt(S.otherUser, {n: others})})); }
    parts.forEach(function (p) { banner.appendChild(p); });
    banner.hidden = !parts.length;
  }

  function itemSummary(item, badge) {
    return el("span", {}, [
      el("span", {"class": "badge", text: badge}),
      document.createTextNode(" " + when(item.body.occurred_at) + " — " + linesText(item.sets))
    ]);
  }

  function refusalText(refusal) {
    var data = refusal.data || {};
    if (refusal.code === "insufficient_stock" && data.shortages) {
      return fmt(S.shortReview, {parts: shortageParts(data.shortages)});
    }
    if (refusal.status === 404) { return S.notFound; }
    if (refusal.status === 403) { return S.forbidden; }
    if (refusal.code === "idempotency_key_reused") { return S.reused; }
    var messages = [];
    Object.keys(data).forEach(function (field) {
      var value = data[field];
      if (Array.isArray(value)) { messages = messages.concat(value.filter(function (v) { return typeof v === "string"; })); }
    });
    return messages.length ? messages.join(" ") : fmt(S.refused, {status: refusal.status});
  }

  function shortageParts(shortages) {
    return shortages.map(function (x) {
      return fmt(S.shortPart, {name: cfg.packTypes[x.sku] || x.sku, available: x.available, requested: x.requested});
    }).join("; ");
  }

  function reviewEntry(item) {
    var id = "r-" + item.key;
    var shortages = {};
    ((item.refusal.data || {}).shortages || []).forEach(function (x) { shortages[x.sku] = x.available; });
    var fewer = el("form", {"class": "stack review-fewer", "data-key": item.key},
      Object.keys(item.sets).map(function (code) {
        var value = code in shortages ? Math.min(item.sets[code], shortages[code]) : item.sets[code];
        return el("div", {"class": "field"}, [
          el("label", {"for": id + "-" + code, text: cfg.packTypes[code] || code}),
          el("input", {type: "number", inputmode: "numeric", min: "0", max: String(item.sets[code]),
            id: id + "-" + code, name: code, value: String(value)})
        ]);
      }).concat([el("button", {type: "submit", "class": "primary", text: S.fewer})]));
    var select = el("select", {id: id + "-reason", name: "reason"}, S.discardReasons.map(function (pair) {
      return el("option", {value: pair[0], text: pair[1]});
    }));
    var discard = el("form", {"class": "stack review-discard", "data-key": item.key}, [
      el("div", {"class": "field"}, [el("label", {"for": id + "-reason", text: S.discardReason}), select]),
      el("button", {type: "submit", "class": "danger", text: S.discard})
    ]);
    return el("li", {"class": "review-item"}, [
      itemSummary(item, S.reviewBadge),
      el("p", {"class": "error", text: refusalText(item.refusal)}),
      fewer,
      discard
    ]);
  }

  function render() {
    return Q.items().then(function (items) {
      var mine = items.filter(function (x) { return x.user === cfg.user; });
      var others = items.filter(function (x) { return x.user !== cfg.user; }).length;
      var here = mine.filter(function (x) { return x.site === cfg.site; });
      var pending = here.filter(function (x) { return x.state === "pending"; });
      var review = here.filter(function (x) { return x.state === "review"; });
      var queueList = document.getElementById("queue-list");
      queueList.textContent = "";
      pending.forEach(function (item) { queueList.appendChild(el("li", {}, [itemSummary(item, S.pendingBadge)])); });
      document.getElementById("queue").hidden = !pending.length;
      var reviewList = document.getElementById("review-list");
      reviewList.textContent = "";
      review.forEach(function (item) { reviewList.appendChild(reviewEntry(item)); });
      document.getElementById("review").hidden = !review.length;
      renderBanner(mine, others);
      renderStock(items);
      lastItems = items;
      return items;
    });
  }

  function say(text) { statusLine.textContent = text; }

  function showError(text) {
    var error = document.getElementById("error");
    if (!error) {
      error = el("p", {"class": "error", role: "alert", id: "error"});
      form.parentNode.insertBefore(error, form);
    }
    error.textContent = text;
  }

  // --- Sending ------------------------------------------------------------------------------------

  function refreshStock() {
    return fetch(cfg.urls.stock, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) { return null; }
        var at = Date.parse(response.headers.get("Date") || "") || Date.now();
        return response.json().then(function (rows) {
          var quantities = {};
          rows.forEach(function (row) { quantities[row.pack_type] = row.quantity; });
          return Q.putStock({site: cfg.site, at: at, quantities: quantities});
        });
      }).then(function (stored) { if (stored) { snapshot = stored; } }, function () { /* offline again */ });
  }

  function scheduleRetry() {
    if (retryTimer || !navigator.onLine) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; sync(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function syncRegister() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register(cfg.syncTag); }
    }).catch(function () { /* Background Sync not allowed here: the page sends when it can */ });
  }

  // Send what is queued; ``immediate`` is the key of a handout tapped just now, whose outcome the
  // page shows as the server's answer.
  function sync(immediate) {
    return Q.setMeta("csrf", csrfToken()).then(function () { return Q.sync(cfg.urls); }).then(function (result) {
      loginExpired = result.stopped === "login";
      if (result.stopped === "offline" || result.stopped === "server") { scheduleRetry(); syncRegister(); }
      if (!result.stopped) { retryDelay = 1000; }
      var sent = Object.keys(result.sent).filter(function (key) { return key !== immediate; });
      var done = Promise.resolve();
      if (immediate && result.refused[immediate]) {
        // Refused while the person is still at the counter: say why, as the form post did, and keep
        // nothing (the staff member decides again with the form).
        var refusal = result.refused[immediate];
        showError(refusal.code === "insufficient_stock"
          ? fmt(S.short, {parts: shortageParts(refusal.data.shortages || [])}) : refusalText(refusal));
        done = Q.remove(immediate);
      }
      if (sent.length || Object.keys(result.refused).length) {
        done = done.then(refreshStock);
      }
      return done.then(render).then(function () {
        if (sent.length) { say(fmt(S.sentQueued, {n: sent.length})); }
        return result;
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (form.dataset.busy) { return; }
    var read = readForm();
    if (!read) { showError(S.noSets); return; }
    form.dataset.busy = "1";
    button.disabled = true;
    say(S.sending);
    var item = {key: newKey(), user: cfg.user, site: cfg.site, body: read.body, sets: read.sets};
    Q.add(item).then(render).then(function () {
      return navigator.onLine ? sync(item.key) : {sent: {}, refused: {}, stopped: "offline"};
    }).then(function (result) {
      if (result.sent[item.key]) {
        window.location.assign(cfg.urls.page + "?recorded=" + result.sent[item.key]);
        return;
      }
      if (!result.refused[item.key]) {
        form.reset();
        say(S.queued);
        syncRegister();
      } else {
        say("");
      }
      delete form.dataset.busy;
      button.disabled = false;
    }).catch(function () {
      // The device's storage refused (private mode, full): fall back to the ordinary form post.
      form.submit();
    });
  });

  // --- 要確認: hand out fewer, or discard with a reason ----------------------------------------------

  document.getElementById("review-list").addEventListener("submit", function (event) {
    event.preventDefault();
    var target = event.target;
    var key = target.getAttribute("data-key");
    Q.items().then(function (items) {
      var item = items.filter(function (x) { return x.key === key; })[0];
      if (!item) { return render(); }
      if (target.classList.contains("review-discard")) {
        var select = target.elements.reason;
        var why = select.options[select.selectedIndex].text;
        // Nothing is written on the server: the ledger holds only sets that left the shelf
        // (docs/window-offline.md); the reason is said back so the staff member sees what they chose.
        return Q.remove(key).then(render).then(function () { say(fmt(S.discarded, {reason: why})); });
      }
      var sets = {};
      Object.keys(item.sets).forEach(function (code) {
        var n = parseInt(target.elements[code].value || "0", 10);
        if (n > 0) { sets[code] = Math.min(n, item.sets[code]); }
      });
      if (!Object.keys(sets).length) {
        return Q.remove(key).then(render).then(function () { say(fmt(S.discarded, {reason: "0"})); });
      }
      // Other lines are another request: a new key (the old one belongs to the refused body).
      var body = Object.assign({}, item.body, {
        lines: Object.keys(sets).map(function (code) { return {pack_type: code, quantity: sets[code]}; })
      });
      return Q.replace(key, {key: newKey(), user: item.user, site: item.site, body: body, sets: sets})
        .then(render).then(function () { return sync(); });
    });
  });

  // --- Log-out: warn about unsent handouts, then clear this user's queue and cached pages ---------

  var logout = document.querySelector(".logout-form");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      event.preventDefault();
      Q.items().then(function (items) {
        var mine = items.filter(function (x) { return x.user === cfg.user; }).length;
        if (mine && !window.confirm(fmt(S.logoutWarning, {n: mine}))) { return; }
        return Q.clearUser(cfg.user).then(function () {
          return window.caches ? caches.delete(cfg.pagesCache) : null;
        }).then(function () { logout.submit(); });
      });
    });
  }

  // --- Start --------------------------------------------------------------------------------------

  window.addEventListener("online", function () { retryDelay = 1000; sync(); });
  window.addEventListener("offline", render);
  // The stock's age; only that line (a full render would replace what is being typed in 要確認).
  setInterval(function () { renderStock(lastItems); }, 30000);

  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "queue-synced") { refreshStock().then(render); }
    });
    navigator.serviceWorker.register(cfg.urls.sw, {scope: cfg.urls.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      // The worker keeps the page each time it is opened; the first time, it was not there yet.
      return caches.open(cfg.pagesCache).then(function (cache) {
        return cache.match(cfg.urls.page).then(function (hit) { return hit || cache.add(cfg.urls.page); });
      });
    }).then(function () {
      var ready = document.getElementById("offline-ready");
      ready.textContent = S.offlineReady;
      ready.hidden = false;
    }).catch(function () { /* no worker (e.g. not HTTPS): the page still queues */ });
  }

  Q.putStock({site: cfg.site, at: cfg.renderedAt, quantities: cfg.stock}).then(function (stored) {
    snapshot = stored;
    return render();
  }).then(function () {
    if (navigator.onLine) { sync(); }
  });
})();
