import path from 'node:path';
import { createRequire } from 'node:module';
import express, { type Router } from 'express';

/** Page that starts Swagger UI on the API's own document (relative URL: works behind a path prefix). */
const initializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({ url: '../v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
};
`;

/**
 * The documentation page at `/api/docs/`: Swagger UI served from the installed swagger-ui-dist
 * package (no CDN: deployments may have no internet), reading `/api/v1/openapi.json`.
 */
export function docsRouter(): Router {
  const require = createRequire(import.meta.url);
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  // Strict: `/api/docs` (redirected) and `/api/docs/` (the page) are different paths.
  const router = express.Router({ strict: true });
  router.get('/api/docs', (_req, res) => res.redirect(301, '/api/docs/'));
  router.get('/api/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(initializer);
  });
  router.use('/api/docs', express.static(assets, { index: 'index.html', redirect: false, maxAge: '1h' }));
  return router;
}
