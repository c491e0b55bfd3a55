import { readFileSync } from 'node:fs';

/**
 * plz's version: `version` of the package.json one folder above the running file, read at run
 * time. That is `cli/package.json` for the tsc output (`cli/dist/*.js`) and for the sources under
 * ts-jest (`cli/src/*.ts`), and the tarball's `package/package.json` for the one-file bundle
 * (`package/dist/plz.mjs`, whose `import.meta.url` is the bundle's own).
 */
export function cliVersion(moduleUrl: string = import.meta.url): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version?: unknown };
    if (typeof manifest.version === 'string') return manifest.version;
  } catch {
    // fall through: a copy without its package.json
  }
  return 'unknown';
}
