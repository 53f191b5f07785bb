// Checkout: changing a store, a day, a delivery address or the way to pay re-renders the form
// (the "Update" button, which writes nothing); "Use my location" fills the position so the
// nearest stores come first; "I am there now" puts a new delivery address's pin where the
// phone is.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) { return; }
  var refresh = form.querySelector("[data-refresh-button]");
  form.querySelectorAll("[data-refresh]").forEach(function (select) {
    select.addEventListener("change", function () { refresh.click(); });
  });
  form.querySelectorAll("input[name^='fulfilment_'], input[name^='provider_']").forEach(function (radio) {
    radio.addEventListener("change", function () { refresh.click(); });
  });
  form.querySelectorAll("[data-pin-here]").forEach(function (button) {
    var box = button.closest("fieldset");
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        box.querySelector("[data-pin-lat]").value = position.coords.latitude.toFixed(6);
        box.querySelector("[data-pin-lng]").value = position.coords.longitude.toFixed(6);
        refresh.click();
      });
    });
  });
  var locate = form.querySelector("[data-use-location]");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lng.value = position.coords.longitude.toFixed(5);
        refresh.click();
      });
    });
  } else if (locate) {
    locate.hidden = true;
  }
})();
