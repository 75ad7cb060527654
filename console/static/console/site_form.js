/* Shows the municipality of the postal code as it is typed; the server checks it again on save. */
(function () {
  var input = document.getElementById("id_postal_code"), out = document.getElementById("postal-area");
  if (!input || !out) return;
  input.addEventListener("change", function () {
    fetch(out.dataset.url + "?code=" + encodeURIComponent(input.value), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (a) { out.textContent = a.municipality ? a.prefecture + a.municipality + (a.town || "") : (a.detail || ""); })
      .catch(function () { out.textContent = ""; });
  });
})();
