// Forms marked data-once send once: a double tap on a slow connection does not file twice.
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });
});
// After a failed submit, move the focus to the list of errors (screen readers announce it).
var errors = document.getElementById("form-errors");
if (errors) { errors.focus(); }
