// "Use my location" on the dashboard store form: fills latitude and longitude from the
// browser's geolocation. The button stays hidden where there is no geolocation; the two
// inputs work on their own either way.
(function () {
  "use strict";

  var button = document.querySelector("[data-use-location]");
  if (!button || !("geolocation" in navigator)) {
    return;
  }
  var latitude = document.getElementById(button.getAttribute("data-latitude"));
  var longitude = document.getElementById(button.getAttribute("data-longitude"));
  var status = document.getElementById(button.getAttribute("data-status"));
  if (!latitude || !longitude) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(button.getAttribute("data-waiting"));
    navigator.geolocation.getCurrentPosition(function (position) {
      // Seven decimals is what the server keeps (about a centimetre).
      latitude.value = position.coords.latitude.toFixed(7);
      longitude.value = position.coords.longitude.toFixed(7);
      button.disabled = false;
      button.removeAttribute("aria-busy");
      say(button.getAttribute("data-done"));
    }, function () {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      say(button.getAttribute("data-failed"));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}());
