// Live counts: poll the batch's small status JSON every 5 s and update [data-live] elements.
(function () {
  var root = document.querySelector("[data-status-url]");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var key = el.getAttribute("data-live");
          if (key in data) {
            if (el.tagName === "PROGRESS") el.value = data[key]; else el.textContent = data[key];
          }
        });
        if (root.hasAttribute("data-reload-when-ready") && data.status === "ready" && root.getAttribute("data-status") !== "ready") {
          window.location.reload();
        }
      })
      .catch(function () {});
  }
  setInterval(tick, 5000);
})();
