// Search pages: "Use my location" fills the position from the browser and searches again;
// on the product search page the results follow the typing (the server renders them).
(function () {
  "use strict";

  document.querySelectorAll("[data-locate]").forEach(function (button) {
    var form = button.form;
    var status = form.querySelector("[data-locate-status]");
    if (!navigator.geolocation) {
      button.hidden = true;
      return;
    }
    button.addEventListener("click", function () {
      if (status) { status.textContent = button.dataset.locating; }
      navigator.geolocation.getCurrentPosition(function (position) {
        if (status) { status.textContent = button.dataset.located; }
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lng.value = position.coords.longitude.toFixed(5);
        if (form.elements.near) { form.elements.near.value = ""; }
        if (button.dataset.check && form.elements[button.dataset.check]) {
          form.elements[button.dataset.check].checked = true;
        }
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }, function () {
        if (status) { status.textContent = button.dataset.denied; }
      }, {timeout: 15000, maximumAge: 60000});
    });
  });

  var form = document.querySelector("[data-live-search]");
  var results = document.getElementById("search-results");
  if (!form || !results || !window.fetch) { return; }
  var timer = null;
  var pending = null;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") { params.append(key, value); }
    });
    return params;
  }

  function refresh() {
    var params = query();
    var address = form.action + (params.toString() ? "?" + params : "");
    params.set("fragment", "1");
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(form.action + "?" + params, {signal: pending.signal, credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        results.innerHTML = html;
        history.replaceState(null, "", address);
      })
      .catch(function () { /* a newer search replaced this one, or the network is gone */ });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
})();
