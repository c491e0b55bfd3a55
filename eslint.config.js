// Lint rules for every workspace, with the layer boundaries of the house style:
// only `adapters/` talk to BullMQ, S3 and Docker; only `repositories/` (and migrations) import knex;
// only `config.ts` reads process.env.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const adapterOnly = ['bullmq', '@aws-sdk/*', 'dockerode'];
const adapterMessage = 'Only code under adapters/ may import BullMQ, the S3 SDK or dockerode (STYLE.md, Services).';
const knexMessage = 'Only code under repositories/ (and db migrations) may import knex (STYLE.md, Services).';

const restricted = (groups) => ({
  'no-restricted-imports': ['error', { patterns: groups }],
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'generator/templates/**', 'packages/mlflow-client/src/generated/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['services/*/src/**/*.ts', 'cli/src/**/*.ts', 'packages/*/src/**/*.ts'],
    ignores: ['**/adapters/**', '**/repositories/**', '**/migrations/**', '**/*.test.ts'],
    rules: restricted([
      { group: adapterOnly, message: adapterMessage },
      { group: ['knex'], message: knexMessage },
    ]),
  },
  {
    files: ['services/*/src/**/adapters/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restricted([{ group: ['knex'], message: knexMessage }]),
  },
  {
    files: ['services/*/src/**/repositories/**/*.ts', 'services/*/src/**/migrations/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restricted([{ group: adapterOnly, message: adapterMessage }]),
  },
  {
    files: ['services/*/src/**/*.ts'],
    ignores: ['**/config.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from the parsed config (config.ts), not process.env.' }],
    },
  },
);
