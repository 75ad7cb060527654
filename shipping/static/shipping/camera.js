// Packing station: read the slip's QR code with the phone's (or laptop's) camera. The decoded
// reference goes into the same field a USB scanner types into, and the same form is sent, so
// both ways show the same parcel. jsQR (vendored, Apache-2.0) decodes the frames; it is loaded
// only when the camera is first opened. Nothing is sent anywhere but this form.
(function () {
  var root = document.querySelector("[data-camera]");
  if (!root || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var form = root.closest("form");
  var input = form.querySelector("input[name=ref]");
  var open = root.querySelector("[data-camera-open]");
  var stop = root.querySelector("[data-camera-stop]");
  var video = root.querySelector("video");
  var message = root.querySelector("[data-camera-message]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var timer = null;

  function say(text) { message.textContent = text || ""; }

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-decoder-src");
      script.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR")); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function close() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.srcObject = null;
    video.hidden = true;
    stop.hidden = true;
    open.hidden = false;
  }

  function scan(decode) {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var frame = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = decode(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        close();
        input.value = code.data.trim();
        say(root.getAttribute("data-msg-found") + " " + input.value);
        form.submit();
        return;
      }
    }
    timer = setTimeout(function () { scan(decode); }, 150);
  }

  open.hidden = false;
  open.addEventListener("click", function () {
    say(root.getAttribute("data-msg-starting"));
    Promise.all([
      loadDecoder(),
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
    ]).then(function (both) {
      stream = both[1];
      video.srcObject = stream;
      video.hidden = false;
      stop.hidden = false;
      open.hidden = true;
      return video.play().then(function () {
        say(root.getAttribute("data-msg-aim"));
        scan(both[0]);
      });
    }).catch(function () {
      close();
      say(root.getAttribute("data-msg-failed"));
    });
  });
  stop.addEventListener("click", function () { close(); say(""); input.focus(); });
  window.addEventListener("pagehide", close);
})();
