/* The handout queue on the device (IndexedDB), shared by the window page (window.js) and its
   service worker (sw.js): docs/window-offline.md.

   A handout is stored here first, with its own Idempotency-Key and the time of the tap, and sent to
   POST /api/v1/handouts/ in the order it was queued. The server's idempotency makes a resend safe
   (an answer lost on the way is replayed, never logged twice). Each item belongs to the user who
   queued it: a sync first asks the server who is logged in (/api/v1/me/) and sends only that
   user's items. A refusal (409 insufficient_stock, 400, 404, 422) moves the item to "review"; it
   is never dropped. */
(function (global) {
  "use strict";
  var DB_NAME = "foodbank-window";
  var DB_VERSION = 1;
  var LOCK = "foodbank-handout-queue";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = global.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("handouts", {keyPath: "key"});  // queued handouts
        db.createObjectStore("stock", {keyPath: "site"});    // last known stock per window
        db.createObjectStore("meta", {keyPath: "name"});     // sequence counter, CSRF token
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Run fn(transaction, out) and resolve with out.value once the transaction has committed.
  function run(stores, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(stores, mode);
        var out = {};
        tx.oncomplete = function () { db.close(); resolve(out.value); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
        fn(tx, out);
      });
    });
  }

  function bySeq(a, b) { return a.seq - b.seq; }

  var Q = {
    /* All queued items, oldest first. */
    items: function () {
      return run(["handouts"], "readonly", function (tx, out) {
        tx.objectStore("handouts").getAll().onsuccess = function (e) { out.value = e.target.result.sort(bySeq); };
      });
    },

    /* Store a new item ({key, user, site, body, sets}) as pending, after every earlier one. */
    add: function (item) {
      return run(["handouts", "meta"], "readwrite", function (tx) {
        var meta = tx.objectStore("meta");
        meta.get("seq").onsuccess = function (e) {
          var seq = ((e.target.result && e.target.result.value) || 0) + 1;
          meta.put({name: "seq", value: seq});
          item.seq = item.seq || seq;
          item.state = "pending";
          tx.objectStore("handouts").put(item);
        };
      });
    },

    remove: function (key) {
      return run(["handouts"], "readwrite", function (tx) { tx.objectStore("handouts").delete(key); });
    },

    /* Replace an item (e.g. with fewer sets, under a new key) keeping its place in the queue. */
    replace: function (oldKey, item) {
      return run(["handouts"], "readwrite", function (tx) {
        var store = tx.objectStore("handouts");
        store.get(oldKey).onsuccess = function (e) {
          var old = e.target.result;
          if (!old) { return; }
          store.delete(oldKey);
          item.seq = old.seq;
          item.state = "pending";
          store.put(item);
        };
      });
    },

    /* Forget every item of ``user`` and every stock snapshot (explicit log-out). */
    clearUser: function (user) {
      return run(["handouts", "stock"], "readwrite", function (tx) {
        var store = tx.objectStore("handouts");
        store.getAll().onsuccess = function (e) {
          e.target.result.forEach(function (item) { if (item.user === user) { store.delete(item.key); } });
        };
        tx.objectStore("stock").clear();
      });
    },

    stock: function (site) {
      return run(["stock"], "readonly", function (tx, out) {
        tx.objectStore("stock").get(site).onsuccess = function (e) { out.value = e.target.result || null; };
      });
    },

    /* Keep ``snapshot`` ({site, at, quantities}) unless a newer one is stored already. */
    putStock: function (snapshot) {
      return run(["stock"], "readwrite", function (tx, out) {
        var store = tx.objectStore("stock");
        store.get(snapshot.site).onsuccess = function (e) {
          var old = e.target.result;
          out.value = old && old.at >= snapshot.at ? old : snapshot;
          if (out.value === snapshot) { store.put(snapshot); }
        };
      });
    },

    setMeta: function (name, value) {
      return run(["meta"], "readwrite", function (tx) { tx.objectStore("meta").put({name: name, value: value}); });
    },

    getMeta: function (name) {
      return run(["meta"], "readonly", function (tx, out) {
        tx.objectStore("meta").get(name).onsuccess = function (e) { out.value = e.target.result && e.target.result.value; };
      });
    },

    /* Sent: forget the item and take its sets off the last known stock, in one transaction (the
       server's stock now includes it; a fresher snapshot replaces this one later). */
    _sent: function (item) {
      return run(["handouts", "stock"], "readwrite", function (tx) {
        tx.objectStore("handouts").delete(item.key);
        var stock = tx.objectStore("stock");
        stock.get(item.site).onsuccess = function (e) {
          var snap = e.target.result;
          if (!snap) { return; }
          Object.keys(item.sets).forEach(function (code) {
            snap.quantities[code] = Math.max(0, (snap.quantities[code] || 0) - item.sets[code]);
          });
          stock.put(snap);
        };
      });
    },

    _review: function (item, refusal) {
      return run(["handouts"], "readwrite", function (tx) {
        var store = tx.objectStore("handouts");
        store.get(item.key).onsuccess = function (e) {
          var current = e.target.result;
          if (!current) { return; }
          current.state = "review";
          current.refusal = refusal;
          store.put(current);
        };
      });
    },

    /* Send this user's pending items in order. ``urls``: {me, handouts}. Resolves with
       {sent: {key: handout id}, refused: {key: refusal}, stopped: null | "offline" | "login" | "server"}.
       One sync at a time per device (page and worker alike): a second waits for the first. */
    sync: function (urls) {
      var locks = global.navigator && global.navigator.locks;
      if (locks && locks.request) {
        return locks.request(LOCK, function () { return Q._sync(urls); });
      }
      return Q._sync(urls);
    },

    _sync: function (urls) {
      var result = {sent: {}, refused: {}, stopped: null};
      var csrf, user;
      return Q.items().then(function (items) {
        var pending = items.filter(function (x) { return x.state === "pending"; });
        if (!pending.length) { return result; }
        return Q.getMeta("csrf").then(function (token) {
          csrf = token;
          return global.fetch(urls.me, {credentials: "same-origin", headers: {Accept: "application/json"}});
        }).then(function (response) {
          if (response.status === 401 || response.status === 403) { result.stopped = "login"; return result; }
          if (!response.ok) { result.stopped = "server"; return result; }
          return response.json().then(function (me) {
            user = me.username;
            // Never send another user's handouts as this user's.
            return sendEach(pending.filter(function (x) { return x.user === user; }), 0);
          });
        }, function () { result.stopped = "offline"; return result; });
      });

      function sendEach(list, i) {
        if (i >= list.length) { return result; }
        var item = list[i];
        return send(item).then(function (stop) {
          if (stop) { result.stopped = stop; return result; }
          return sendEach(list, i + 1);
        });
      }

      function send(item) {
        var headers = {"Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": item.key};
        if (csrf) { headers["X-CSRFToken"] = csrf; }
        return global.fetch(urls.handouts, {
          method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(item.body)
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            var status = response.status;
            if (status === 200 || status === 201) {
              return Q._sent(item).then(function () { result.sent[item.key] = data.id; return null; });
            }
            if (status === 401 || (status === 403 && (
              data.code === "not_authenticated" || data.code === "authentication_failed" ||
              /CSRF/.test(String(data.detail || ""))))) {
              return "login";  // a new login (and its CSRF token) is needed; the item stays queued
            }
            // Still being recorded by an earlier attempt, throttled, or a server fault: try later.
            if ((status === 409 && data.code === "idempotency_key_in_use") || status === 429 || status >= 500) {
              return "server";
            }
            var refusal = {status: status, code: data.code || (status === 400 ? "invalid" : "refused"), data: data};
            return Q._review(item, refusal).then(function () { result.refused[item.key] = refusal; return null; });
          });
        }, function () { return "offline"; });
      }
    }
  };

  global.HandoutQueue = Q;
})(self);
