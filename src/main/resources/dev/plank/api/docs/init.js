// Swagger UI for Plank's own description; kept out of index.html so a strict CSP can forbid
// inline scripts.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  // No badge from validator.swagger.io: the page loads nothing from elsewhere (and its CSP would
  // refuse it).
  validatorUrl: null,
});
