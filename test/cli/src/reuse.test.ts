import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from './stack.js';

// `plz run --reuse` (issue 17 item 5) against the real REST API and worker: a miss runs the job,
// a hit returns at once with the earlier execution's summary and output; `plz describe` names it.

const job = `
import json, os, random
config = json.load(open(os.environ["CONFIGURATION_FILE"]))
token = "%08x" % random.getrandbits(32)
print("ran", token, flush=True)
with open(os.path.join(config["output_directory"], "result.txt"), "w") as f:
    f.write("token " + token + "\\n")
with open(config["summary_measures_path"], "w") as f:
    json.dump({"token": token, "lr": config["parameters"].get("lr")}, f)
`;

const config = { project: 'cli-reuse', image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'], excluded_paths: ['output', '*.json'], included_paths: ['plz.config.json'] };

const queuedId = (text: string): string => {
  const match = /execution ([0-9a-f-]{36}) queued/.exec(text);
  if (!match) throw new Error(`no queued execution in:\n${text}`);
  return match[1]!;
};

describe('plz run --reuse', () => {
  let stack: Stack;
  let dir: string;
  let first: string;
  let firstToken: string;
  /** The execution run without --reuse on the same key: once it has succeeded, it can be the one reused. */
  let plainId: string;

  beforeAll(async () => {
    stack = await startStack();
    dir = stack.project({ 'plz.config.json': JSON.stringify(config), 'main.py': job });
    writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ lr: 0.5 }));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('runs the job when nothing matches', async () => {
    const result = await stack.plz(dir, ['run', '--reuse', '--parameters', 'params.json']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('(nothing to reuse)');
    first = queuedId(result.stdout);
    firstToken = /^token (\w+)$/m.exec(readFileSync(path.join(dir, 'output', first, 'result.txt'), 'utf8'))![1]!;
    expect(result.stdout).toContain(`ran ${firstToken}`);
  }, 300_000);

  it("returns at once with the earlier execution's summary and output, and describe names it", async () => {
    const result = await stack.plz(dir, ['run', '--reuse', '--parameters', 'params.json']);
    expect(result.status).toBe(0);
    const match = /execution ([0-9a-f-]{36}) reused the results of execution ([0-9a-f-]{36}): no job ran/.exec(result.stdout);
    expect(match?.[2]).toBe(first);
    const reused = match![1]!;
    expect(reused).not.toBe(first);
    expect(result.stdout).toContain(`"token": "${firstToken}"`); // the summary
    expect(readFileSync(path.join(dir, 'output', reused, 'result.txt'), 'utf8')).toBe(`token ${firstToken}\n`);
    const described = JSON.parse((await stack.plz(dir, ['--json', 'describe', reused])).stdout) as Record<string, unknown>;
    expect(described).toMatchObject({ id: reused, state: 'succeeded', reused_from: first, summary: { token: firstToken, lr: 0.5 } });
    const measures = JSON.parse((await stack.plz(dir, ['measures', '-s', reused])).stdout) as Record<string, unknown>;
    expect(measures).toEqual({ token: firstToken, lr: 0.5 });
  }, 120_000);

  it('misses on other parameters, and is off by default', async () => {
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ lr: 0.6 }));
    const other = await stack.plz(dir, ['run', '--reuse', '--parameters', 'other.json', '--detach']);
    expect([other.status, other.stdout]).toEqual([0, expect.stringContaining('(nothing to reuse)')]);
    const plain = await stack.plz(dir, ['run', '--parameters', 'params.json', '--detach']);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/execution [0-9a-f-]{36} queued on cpu\n/);
    expect(plain.stdout).not.toContain('reused');
    plainId = queuedId(plain.stdout);
  }, 120_000);

  it('follows "reuse": true in plz.config.json, which --no-reuse overrides; a wrong type is refused', async () => {
    writeFileSync(path.join(dir, 'plz.config.json'), JSON.stringify({ ...config, reuse: true }));
    const hit = await stack.plz(dir, ['run', '--parameters', 'params.json', '--detach']);
    // the first execution, or the plain run of the test before once it has succeeded (same key; which one depends on its pace)
    expect(hit.status).toBe(0);
    expect([first, plainId]).toContain(/reused the results of execution ([0-9a-f-]{36}): no job ran/.exec(hit.stdout)?.[1]);
    const forced = await stack.plz(dir, ['run', '--no-reuse', '--parameters', 'params.json', '--detach']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/execution [0-9a-f-]{36} queued on cpu\n/);
    const fromEnv = await stack.plz(dir, ['run', '--parameters', 'params.json', '--detach'], { env: { PLZ_REUSE: 'false' } });
    expect(fromEnv.stdout).toMatch(/execution [0-9a-f-]{36} queued on cpu\n/);
    writeFileSync(path.join(dir, 'plz.config.json'), JSON.stringify({ ...config, reuse: 'yes' }));
    const bad = await stack.plz(dir, ['run', '--parameters', 'params.json', '--detach']);
    expect(bad.status).toBe(121);
    expect(bad.stderr).toContain('"reuse"');
  }, 120_000);
});
