import { readFileSync } from 'node:fs';

/**
 * The version of this plz deployment: the `version` of the REST API's package.json, which every
 * workspace of the repository shares (a test keeps them equal), so that the CLI served at
 * /downloads/plz.tgz and the server agree. Read once; `services/restapi/package.json` sits one
 * folder above both `src/` (tests) and `dist/` (the image).
 */
export const plzVersion: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
