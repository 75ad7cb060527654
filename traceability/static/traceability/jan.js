// Intake: read a product's JAN (EAN-13/EAN-8) barcode with the phone's camera into the line's JAN
// field, as the packing station reads slips. Uses the browser's own BarcodeDetector (Chrome on
// Android); where there is none the button stays hidden and the code is typed or scanned by a USB
// scanner. Nothing is sent anywhere but this form.
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var box = document.querySelector("[data-jan-camera]");
  var video = box.querySelector("video");
  var message = box.querySelector("[data-jan-message]");
  var detector = new window.BarcodeDetector({ formats: ["ean_13", "ean_8"] });
  var stream = null, target = null, timer = null;
  function close() {
    if (timer) clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; box.hidden = true;
  }
  function scan() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      if (codes.length) { target.value = codes[0].rawValue; close(); target.focus(); return; }
      timer = setTimeout(scan, 200);
    }, function () { timer = setTimeout(scan, 400); });
  }
  document.querySelectorAll("[data-scan-jan]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      target = button.closest(".jan").querySelector("input[data-jan]");
      box.hidden = false;
      message.textContent = box.getAttribute("data-msg-aim");
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; video.play(); scan();
      }, function () { message.textContent = box.getAttribute("data-msg-failed"); });
    });
  });
  box.querySelector("[data-jan-stop]").addEventListener("click", close);
})();
