// Writes, next to each given project's tsconfig.json, a tsconfig.image.json for building the
// worker image: tests and integration helpers left out, and project references kept only between
// the given projects (the image's build context lacks tools/ and the other workspaces).
// Usage: node services/worker/scripts/image-tsconfigs.mjs packages/contracts packages/mlflow-client services/worker
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
    exclude: ['src/**/*.test.ts', 'src/integration/**'],
    references,
  };
  writeFileSync(path.join(dir, 'tsconfig.image.json'), `${JSON.stringify(image, null, 2)}\n`);
}
