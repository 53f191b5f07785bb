// Interactive API documentation: mounts Swagger UI (from static/vendor) on #swagger-ui.
// The spec URL comes from the element's data-spec-url, so no inline script is needed.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Offline: never ask validator.swagger.io about the spec.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
