import { createHash, randomBytes } from 'node:crypto';
import type { TestApi } from './harness.js';

/** Hex sha256 of bytes. */
export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Uploads random bytes as a snapshot (or input) through the API and returns their sha256. */
export async function storeBlob(api: TestApi, kind: 'snapshots' | 'inputs', token = api.admin.token, size = 1024): Promise<string> {
  const content = randomBytes(size);
  const hash = sha256(content);
  const answer = await api.call('PUT', `/api/v1/${kind}/${hash}`, { token, body: content, headers: { 'content-type': 'application/octet-stream' } });
  if (answer.status !== 201) throw new Error(`upload failed: ${answer.status} ${answer.text}`);
  return hash;
}

/** A valid execution spec for `snapshot` (no worker needed unless `queue_without_worker` is overridden). */
export function spec(snapshot: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { project: 'demo', snapshot, parameters: { lr: 0.1 }, queue_without_worker: true, ...overrides };
}
