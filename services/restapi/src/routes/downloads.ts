import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { AppError } from '../errors.js';

/**
 * What anyone reaching the deployment may fetch without an identity: the
 * CLI package `GET /downloads/plz.tgz` (`npm install -g <url>/downloads/plz.tgz`), the file
 * `cliPackage` built into the REST API's image (CLI_PACKAGE_FILE); 404 with a JSON error when the
 * image has none.
 */
export function downloadRoutes(cliPackage: string | undefined): Router {
  const router = express.Router();
  const file = cliPackage ? path.resolve(cliPackage) : undefined;
  router.get('/downloads/plz.tgz', (_req, res, next) => {
    if (!file || !existsSync(file)) throw new AppError('not_found', 'this deployment serves no CLI package: its REST API image was built without one');
    res.set('cache-control', 'no-cache').attachment('plz.tgz').type('application/gzip');
    res.sendFile(file, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });
  return router;
}
