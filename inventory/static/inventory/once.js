/* Forms marked data-once are sent at most once per render: the button is disabled on the first tap,
   and a connection that drops is retried with the same idempotency key (the server records it once).
   Without this script the forms still work: the key alone prevents a double record. */
(function () {
  "use strict";
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function showPage(html) {
    document.open();
    document.write(html);
    document.close();
  }

  async function send(form, button, status) {
    var body = new FormData(form);
    for (var attempt = 0; attempt < 5; attempt++) {
      try {
        var response = await fetch(form.action, {
          method: "POST", body: body, credentials: "same-origin", headers: {"X-Requested-With": "fetch"}
        });
        if (response.redirected) { window.location.assign(response.url); return; }
        showPage(await response.text());
        return;
      } catch (err) {
        status.textContent = form.dataset.retrying || "…";
        await sleep(1000 * (attempt + 1));
      }
    }
    status.textContent = form.dataset.failed || "!";
    button.disabled = false;
    delete form.dataset.busy;
  }

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector("[data-status]") || document.createElement("p");
      if (!window.fetch || !window.FormData) { if (button) { button.disabled = true; } return; }
      event.preventDefault();
      if (form.dataset.busy) { return; }
      form.dataset.busy = "1";
      if (button) { button.disabled = true; }
      status.textContent = form.dataset.sending || "…";
      send(form, button, status);
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
      var button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });

  // Back/forward cache: a page restored after a submit carries a used key; load a fresh form.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector("form[data-once]")) { window.location.reload(); }
  });
})();
