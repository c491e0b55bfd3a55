// One Jest run over every workspace. Each workspace is a Jest "project", so
// `npm test -w <workspace>` runs its own tests with `--selectProjects <name>`.
// ESM TypeScript goes through ts-jest (`useESM`); type errors are caught by `tsc --build`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

const rootPkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** Maps each workspace package name to its TypeScript entry point, so tests need no build. */
const workspaceModules = Object.fromEntries(
  rootPkg.workspaces.map((dir) => {
    const pkg = JSON.parse(readFileSync(new URL(`./${dir}/package.json`, import.meta.url), 'utf8'));
    return [`^${pkg.name.replace('/', '\\/')}$`, `${root}${dir}/src/index.ts`];
  }),
);
/** A workspace's module by subpath (`@plz/cli/api/client.js`, its package.json `./*.js` export) → its TypeScript source. */
for (const dir of rootPkg.workspaces) {
  const pkg = JSON.parse(readFileSync(new URL(`./${dir}/package.json`, import.meta.url), 'utf8'));
  if (pkg.exports?.['./*.js']) workspaceModules[`^${pkg.name.replace('/', '\\/')}/(.*)\\.js$`] = `${root}${dir}/src/$1.ts`;
}

const project = (dir) => {
  const pkg = JSON.parse(readFileSync(new URL(`./${dir}/package.json`, import.meta.url), 'utf8'));
  return {
    displayName: pkg.name,
    rootDir: dir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { ...workspaceModules, '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: `${dir}/tsconfig.json` }] },
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  };
};

export default {
  projects: rootPkg.workspaces.map(project),
  // Integration tests talk to real servers on a 2-core machine: allow for load. Slower tests set their own.
  testTimeout: 30_000,
  globalSetup: './tools/testkit/dist/jest/global-setup.js',
  globalTeardown: './tools/testkit/dist/jest/global-teardown.js',
};
