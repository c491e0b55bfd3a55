import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

// The layer boundaries of STYLE.md are enforced by the repository's eslint.config.js.
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('import boundaries', () => {
  it('lets only adapters import bullmq, the S3 SDK and dockerode', async () => {
    const code = "import { Queue } from 'bullmq';\nexport const queue = (): Queue => new Queue('cpu');\n";
    expect(await ruleIds(code, 'services/restapi/src/services/executions.ts')).toEqual([
      expect.stringContaining('Only code under adapters/'),
    ]);
    expect(await ruleIds(code, 'services/restapi/src/adapters/queue.ts')).toEqual([]);
    const s3 = "import { S3Client } from '@aws-sdk/client-s3';\nexport const client = (): S3Client => new S3Client({});\n";
    expect(await ruleIds(s3, 'services/worker/src/services/harvest.ts')).toEqual([expect.stringContaining('Only code under adapters/')]);
  });

  it('lets only repositories import knex', async () => {
    const code = "import type { Knex } from 'knex';\nexport const k: Knex | undefined = undefined;\n";
    expect(await ruleIds(code, 'services/restapi/src/routes/executions.ts')).toEqual([expect.stringContaining('Only code under repositories/')]);
    expect(await ruleIds(code, 'services/restapi/src/repositories/executions.ts')).toEqual([]);
  }, 30_000);
});
