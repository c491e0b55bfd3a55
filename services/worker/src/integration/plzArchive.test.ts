import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Header } from 'tar-stream';
import { dockerClient } from '../adapters/docker/client.js';
import { DockerContainers } from '../adapters/docker/containers.js';
import type { EntryContent } from '../services/archive/entryPath.js';
import { readPlzOnce, type EntrySink } from '../services/harvest/plzArchive.js';
import { MeasureFilesReader } from '../services/measures/read.js';

/** A sink that records the names it was given (and reads each entry to its end). */
class Names implements EntrySink {
  readonly names: string[] = [];
  async entry(header: Header, content: EntryContent): Promise<void> {
    this.names.push(header.name);
    for await (const chunk of content) void chunk;
  }
}

/**
 * One archive request of /plz on the real engine: each part's entries reach its sink as they would
 * from the folder's own archive, what else is in /plz is dropped, and more than the allowance of
 * other files (or a /plz that is not a folder) sends the caller back to one request per part
 * before any output is taken.
 */
describe('worker: output, measures and summary from one archive of /plz', () => {
  const id = randomBytes(4).toString('hex');
  const label = 'org.plz.test-plz-archive';
  const docker = dockerClient(undefined);
  const containers = new DockerContainers(docker);

  /** An exited container that ran `script` (sh) in debian:bookworm-slim. */
  const exited = async (script: string): Promise<string> => {
    const container = await docker.createContainer({ Image: 'debian:bookworm-slim', Cmd: ['sh', '-c', script], Labels: { [label]: id }, HostConfig: { NetworkMode: 'none' } });
    await container.start();
    expect((await container.wait()) as { StatusCode: number }).toMatchObject({ StatusCode: 0 });
    return container.id;
  };
  const skeleton = `mkdir -p /plz/input /plz/output/sub /plz/measures && echo '{"parameters":{}}' > /plz/configuration.json &&
    echo one > /plz/output/a.txt && echo two > /plz/output/sub/b.txt && echo '{"loss": 0.5}' > /plz/measures/epoch_1 && echo '{"best": 1}' > /plz/summary.json`;
  const sinks = () => ({ output: new Names(), measures: new MeasureFilesReader('measures', 1024 * 1024, () => undefined), summary: new MeasureFilesReader('summary.json', 1024 * 1024, () => undefined) });

  afterAll(async () => {
    for (const container of await containers.listByLabel(label, id)) await containers.remove(container.id);
  });

  it('hands each part its entries, named as in the folder’s own archive, and drops the rest', async () => {
    const container = await exited(`${skeleton} && echo note > /plz/notes.txt`);
    const parts = sinks();
    expect(await readPlzOnce(containers, container, parts)).toBe('read');
    expect(parts.output.names.sort()).toEqual(['output/', 'output/a.txt', 'output/sub/', 'output/sub/b.txt']);
    expect(parts.measures.files.map((file) => [file.path, file.content])).toEqual([['epoch_1', '{"loss": 0.5}\n']]);
    expect(parts.summary.files.map((file) => [file.path, file.content])).toEqual([['', '{"best": 1}\n']]);
  }, 60_000);

  it('stops before the output when the job left more than the allowance of other files in /plz', async () => {
    const container = await exited(`${skeleton} && mkdir /plz/checkpoints && head -c 2097152 /dev/zero > /plz/checkpoints/model.bin`);
    const parts = sinks();
    expect(await readPlzOnce(containers, container, parts, 1024 * 1024)).toBe('stray');
    // lexical order: the checkpoints come before the measures and the output, so nothing was taken
    expect(parts.output.names).toEqual([]);
    expect(parts.measures.files).toEqual([]);
    // under the allowance, they are read through and dropped
    const roomy = sinks();
    expect(await readPlzOnce(containers, container, roomy, 4 * 1024 * 1024)).toBe('read');
    expect(roomy.output.names).toContain('output/a.txt');
  }, 60_000);

  it('gives up on a /plz that is not a folder, and says when there is none', async () => {
    const linked = await exited('mkdir -p /elsewhere/output && echo x > /elsewhere/output/x.txt && ln -s /elsewhere /plz');
    expect(await readPlzOnce(containers, linked, sinks())).toBe('stray');
    const none = await exited('true');
    expect(await readPlzOnce(containers, none, sinks())).toBe('absent');
  }, 60_000);
});
