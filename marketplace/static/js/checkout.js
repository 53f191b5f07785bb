// Checkout: changing a store or a day re-renders the form (the "Update" button, which writes
// nothing); "Use my location" fills the position so the nearest stores come first.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) { return; }
  var refresh = form.querySelector("[data-refresh-button]");
  form.querySelectorAll("[data-refresh]").forEach(function (select) {
    select.addEventListener("change", function () { refresh.click(); });
  });
  form.querySelectorAll("input[name^='fulfilment_']").forEach(function (radio) {
    radio.addEventListener("change", function () { refresh.click(); });
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
