import express, { type Express } from 'express';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { registerRoutes } from './http/register.js';
import { requestLogger } from './http/request-logger.js';
import type { Logger } from './logger.js';
import { docsRouter } from './routes/docs.js';
import { apiRoutes } from './routes/index.js';
import { downloadRoutes } from './routes/downloads.js';
import { pageRoutes } from './routes/pages.js';
import { webRoutes } from './routes/web.js';
import type { Services } from './runtime.js';

/**
 * Builds the Express app from its dependencies; never listens (main.ts and tests do). Every API
 * route comes from routes/index.ts, the login pages from routes/pages.ts, the web view (Start page, executions,
 * sweeps, workers) from routes/web.ts, the CLI package (`options.cliPackage`, a file) from routes/downloads.ts; unknown paths get 404 and every error the JSON error body.
 */
export function buildApp(services: Services, logger: Logger, options: { cliPackage?: string } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, uniquelocal');
  app.set('query parser', 'simple');
  app.use(requestLogger(logger));
  app.use(docsRouter());
  const router = express.Router();
  registerRoutes(router, apiRoutes(services), services);
  app.use(router);
  app.use(pageRoutes(services));
  app.use(webRoutes(services, options));
  app.use(downloadRoutes(options.cliPackage));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
