import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { AppError } from '../errors.js';
import { ownOrigin } from '../http/credentials.js';
import { landingPage } from '../pages/landing.js';
import { plzVersion } from '../version.js';

/**
 * What anyone reaching the deployment may fetch without an identity: the landing page `/` and the
 * CLI package `GET /downloads/plz.tgz` (`npm install -g <url>/downloads/plz.tgz`), the file
 * `cliPackage` built into the REST API's image (CLI_PACKAGE_FILE); 404 with a JSON error when the
 * image has none.
 */
export function downloadRoutes(cliPackage: string | undefined): Router {
  const router = express.Router();
  const file = cliPackage ? path.resolve(cliPackage) : undefined;
  router.get('/', (req, res) => {
    const hasCli = file !== undefined && existsSync(file);
    res.set('cache-control', 'no-store').type('html').send(landingPage(ownOrigin(req) ?? '', plzVersion, hasCli));
  });
  router.get('/downloads/plz.tgz', (_req, res, next) => {
    if (!file || !existsSync(file)) throw new AppError('not_found', 'this deployment serves no CLI package: its REST API image was built without one');
    res.set('cache-control', 'no-cache').attachment('plz.tgz').type('application/gzip');
    res.sendFile(file, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });
  return router;
}
