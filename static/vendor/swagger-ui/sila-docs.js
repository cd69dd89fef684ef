// Starts Swagger UI on /api/v1/docs from this site's own files (no CDN, no inline script: the
// Content-Security-Policy allows scripts from this site only). The document's address is on the
// container element.
(function () {
  var el = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: el.getAttribute("data-spec"), domNode: el, deepLinking: true,
                           tryItOutEnabled: false, persistAuthorization: false });
})();
