// Live counts: poll the batch's small status JSON and update [data-live] elements; every 1.5 s
// while the batch is being built (so its progress moves visibly), every 5 s once it is ready.
(function () {
  var root = document.querySelector("[data-status-url]");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  var building = ["planning", "building", "documents"];
  function next(status) {
    setTimeout(tick, building.indexOf(status) >= 0 ? 1500 : 5000);
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { next(null); return; }
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var key = el.getAttribute("data-live");
          if (key in data) {
            if (el.tagName === "PROGRESS") el.value = data[key]; else el.textContent = data[key];
          }
        });
        if (root.hasAttribute("data-reload-when-ready") && data.status === "ready" && root.getAttribute("data-status") !== "ready") {
          window.location.reload();
          return;
        }
        next(data.status);
      })
      .catch(function () { next(null); });
  }
  next(root.getAttribute("data-status"));
})();
