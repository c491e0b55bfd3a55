#!/usr/bin/env node
// Builds the researcher's `plz` as one npm package with nothing left to install or build:
// esbuild bundles the CLI's TypeScript sources (type-checked separately by `tsc --build`), the
// compiled @plz/contracts and every dependency into dist/plz.mjs, next to a package.json without
// dependencies (with cli/package.json's engines), and `npm pack` makes the tarball.
// The deployment serves it at /downloads/plz.tgz (`npm install -g http(s)://HOST/downloads/plz.tgz`).
//
// Usage: node cli/scripts/pack.mjs OUT_DIR   → OUT_DIR/plz.tgz (prints its path, size and sha256)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const out = process.argv[2];
if (!out) {
  console.error('usage: node cli/scripts/pack.mjs OUT_DIR');
  process.exit(2);
}
const cliRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(cliRoot, 'src', 'index.ts');
const contracts = fileURLToPath(new URL('../../packages/contracts/dist/index.js', import.meta.url));
if (!existsSync(contracts)) {
  console.error(`${contracts} is missing: compile @plz/contracts first (npx tsc --build packages/contracts)`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(path.join(cliRoot, 'package.json'), 'utf8'));
// The Node.js versions the CLI supports travel with the package: npm warns (or refuses, with
// engine-strict) on an install where they do not hold.
if (typeof manifest.engines?.node !== 'string') {
  console.error(`${path.join(cliRoot, 'package.json')} declares no engines.node`);
  process.exit(1);
}

const stage = mkdtempSync(path.join(tmpdir(), 'plz-cli-pack-'));
try {
  await build({
    entryPoints: [entry],
    outfile: path.join(stage, 'dist', 'plz.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // CommonJS dependencies bundled into an ES module still call require() for Node's builtins.
    banner: { js: "import { createRequire as plzCreateRequire } from 'node:module';\nconst require = plzCreateRequire(import.meta.url);" },
    legalComments: 'inline',
    logLevel: 'warning',
  });
  writeFileSync(
    path.join(stage, 'package.json'),
    `${JSON.stringify(
      {
        name: manifest.name,
        version: manifest.version,
        description: manifest.description,
        license: 'Apache-2.0',
        type: 'module',
        bin: { plz: 'dist/plz.mjs' },
        files: ['dist'],
        engines: { node: manifest.engines.node },
      },
      null,
      2,
    )}\n`,
  );
  copyFileSync(path.join(cliRoot, 'README.md'), path.join(stage, 'README.md'));
  mkdirSync(out, { recursive: true });
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.resolve(out)], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
  const target = path.join(out, 'plz.tgz');
  renameSync(path.join(out, packed), target);
  const sha256 = createHash('sha256').update(readFileSync(target)).digest('hex');
  console.log(`${target} ${manifest.name}@${manifest.version} ${statSync(target).size} bytes sha256 ${sha256}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
