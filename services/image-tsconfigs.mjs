// Writes, next to each given project's tsconfig.json, a tsconfig.image.json for building the
// services' images (services/Dockerfile): tests and test helpers (src/integration, src/testing) left
// out, and project references kept only between the given projects (the image's build context lacks
// tools/ and the test workspaces).
// Usage: node services/image-tsconfigs.mjs packages/contracts packages/lifecycle services/restapi ...
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const projects = process.argv.slice(2).map((dir) => path.resolve(dir));
for (const dir of projects) {
  const config = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
  const references = (config.references ?? [])
    .map((reference) => path.resolve(dir, reference.path))
    .filter((target) => projects.includes(target))
    .map((target) => ({ path: path.relative(dir, path.join(target, 'tsconfig.image.json')) }));
  const image = {
    extends: './tsconfig.json',
    compilerOptions: { tsBuildInfoFile: 'dist/.tsbuildinfo-image' },
    include: ['src'],
    exclude: ['src/**/*.test.ts', 'src/integration/**', 'src/testing/**'],
    references,
  };
  writeFileSync(path.join(dir, 'tsconfig.image.json'), `${JSON.stringify(image, null, 2)}\n`);
}
