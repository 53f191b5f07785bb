// The pickup queue refreshes itself: every 15 s the columns are fetched again and swapped in,
// unless someone is typing in the search box (their input would be lost).
(function () {
  "use strict";
  var box = document.getElementById("pickup-queue");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-live-url");
  function refresh() {
    if (document.hidden) { return; }
    var active = document.activeElement;
    if (active && active.tagName === "INPUT" && active.value) { return; }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        box.replaceChildren.apply(box, Array.prototype.slice.call(fresh.body.childNodes));
        box.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* offline for a moment: try again next round */ });
  }
  window.setInterval(refresh, 15000);
})();
