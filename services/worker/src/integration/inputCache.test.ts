import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import tar from 'tar-stream';
import { buckets, inputObjectKey, jobImageTag, snapshotObjectKey } from '@plz/contracts';
import { dockerClient } from '../adapters/docker/client.js';
import { DockerContainers } from '../adapters/docker/containers.js';
import { createLogger } from '../logger.js';
import { PlzFolders } from '../services/container/plzFolders.js';
import { containerSpec, type ContainerSpecInput } from '../services/container/spec.js';
import { InputCache } from '../services/inputs/cache.js';
import { InputArchiveError, removeTree } from '../services/inputs/extract.js';
import { jobSnapshot } from './jobs.js';
import { createTestBed, dockerCli, testLabel, type TestBed } from './harness.js';

const run = promisify(execFile);

/**
 * A job that reports what it sees of its input: the files and their content, whether writing
 * into the input folder, over an input file, or remounting it writable works (it runs as root
 * in its container, without CAP_SYS_ADMIN), and what lies next to the input (`/plz`).
 */
const probeScript = `import json, os, subprocess
config = json.load(open(os.environ['CONFIGURATION_FILE']))
inp, out = config['input_directory'], config['output_directory']
report = {'files': {}, 'writes': {}}
for d, _, fs in os.walk(inp):
    for f in fs:
        full = os.path.join(d, f)
        report['files'][os.path.relpath(full, inp)] = open(full).read()
def attempt(name, action):
    try:
        action()
        report['writes'][name] = 'written'
    except OSError as error:
        report['writes'][name] = error.strerror
attempt('new file', lambda: open(os.path.join(inp, 'new.txt'), 'w').write('x'))
attempt('overwrite', lambda: open(os.path.join(inp, 'data.txt'), 'w').write('x'))
attempt('chmod', lambda: os.chmod(os.path.join(inp, 'data.txt'), 0o666))
attempt('remove', lambda: os.remove(os.path.join(inp, 'data.txt')))
attempt('configuration', lambda: open(os.environ['CONFIGURATION_FILE'], 'w').write('{}'))
try:
    report['remount'] = subprocess.run(['mount', '-o', 'remount,rw', inp], capture_output=True).returncode
except OSError:
    report['remount'] = 'no mount command'
report['plz'] = sorted(os.listdir(os.path.dirname(inp)))
report['parent_of_input'] = sorted(os.listdir(os.path.join(inp, '..')))
with open(os.path.join(out, 'report.json'), 'w') as f: json.dump(report, f)
print('report ' + json.dumps(report, sort_keys=True), flush=True)
`;

/**
 * A job (root in its container) that plants in its /plz folder what a harvest must neither follow
 * nor open: links to the worker's files, a FIFO, links to `/` and `/etc` among its measures (its
 * measures folder, a mount point, cannot be replaced), a summary that is a link, and tries hard
 * links to files outside its folder.
 */
const plantScript = `import json, os, shutil
config = json.load(open(os.environ['CONFIGURATION_FILE']))
out, meas = config['output_directory'], config['measures_directory']
report = {'mounts': [os.path.ismount(p) for p in (out, meas, os.path.dirname(config['summary_measures_path']))], 'summary_path': config['summary_measures_path'], 'links': {}}
open(os.path.join(out, 'ok.txt'), 'w').write('kept')
os.symlink('/etc/shadow', os.path.join(out, 'shadow'))
os.symlink('/proc/1/environ', os.path.join(out, 'environ'))
os.mkfifo(os.path.join(out, 'pipe'))
try:
    shutil.rmtree(meas)
    report['measures_removed'] = 'removed'
except OSError as error:
    report['measures_removed'] = error.strerror
os.symlink('/', os.path.join(meas, 'root'))
os.symlink('/etc', os.path.join(meas, 'etc'))
os.symlink('/etc/passwd', config['summary_measures_path'])
for name, source in [('hostname', '/etc/hostname'), ('image file', '/plant.py')]:
    try:
        os.link(source, os.path.join(out, 'hard-' + name.replace(' ', '-')))
        report['links'][name] = 'linked'
    except OSError as error:
        report['links'][name] = error.strerror
print('report ' + json.dumps(report, sort_keys=True), flush=True)
`;

const probeSnapshot = (tag: string): Record<string, string> => ({
  Dockerfile: `# ${tag}\nFROM python:3.11-slim-bookworm\nCOPY probe.py /probe.py\nCMD ["python", "/probe.py"]\n`,
  'probe.py': probeScript,
});

/** A tar of `entries` (tar-stream headers and contents), as raw bytes. */
async function rawTar(entries: Array<{ header: Partial<tar.Header> & { name: string }; content?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const { header, content } of entries) pack.entry(header, content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('worker: the input cache (inputs extracted once, mounted read-only, LRU eviction)', () => {
  let bed: TestBed;
  let cacheDir: string;
  const workerId = `cpu-cache-${process.pid}`;

  beforeAll(async () => {
    bed = await createTestBed('cache');
    cacheDir = path.join(bed.scratch, 'input-cache');
    mkdirSync(cacheDir);
    await bed.startWorker(workerId, { INPUT_CACHE_DIR: cacheDir, INPUT_CACHE_GIB: '1' });
  }, 120_000);

  afterAll(async () => {
    if (cacheDir) await removeTree(cacheDir);
    await bed?.close();
  }, 60_000);

  it('extracts an input once: the second run mounts the same files without downloading them, read-only to the job', async () => {
    const snapshot = await bed.snapshot(probeSnapshot(bed.runId));
    const input = await bed.input({ 'data.txt': 'input data', 'sub/nested.txt': 'nested' });
    const other = await bed.input({ 'secret.txt': 'another input' });

    const first = await bed.submit({ snapshot, input: { kind: 'input', sha256: other } });
    expect(await bed.waitForState(first.id)).toMatchObject({ state: 'succeeded' });
    const second = await bed.submit({ snapshot, input: { kind: 'input', sha256: input } });
    expect(await bed.waitForState(second.id)).toMatchObject({ state: 'succeeded' });
    expect((await bed.logEntries(second.id)).map((entry) => entry['line'])).toContain(`input ${input} extracted into the worker's cache (mounted read-only)`);
    const data = path.join(cacheDir, 'inputs', input, 'data');
    const inode = statSync(path.join(data, 'data.txt')).ino;

    // The object is now garbage in the store: a download would fail its hash check, so the run succeeds only from the cache.
    await bed.objects.write(buckets.inputs, inputObjectKey(input), 'garbage');
    const third = await bed.submit({ snapshot, input: { kind: 'input', sha256: input } });
    expect(await bed.waitForState(third.id)).toMatchObject({ state: 'succeeded', error: null });
    const lines = (await bed.logEntries(third.id)).map((entry) => entry['line'] ?? '');
    expect(lines).toContain(`input ${input} from the worker's cache (mounted read-only)`);
    expect(statSync(path.join(data, 'data.txt')).ino).toBe(inode); // not extracted again

    const report = JSON.parse(lines.find((line) => line.startsWith('report '))!.slice('report '.length)) as Record<string, unknown>;
    expect(report['files']).toEqual({ 'data.txt': 'input data', 'sub/nested.txt': 'nested' });
    // Root in the job cannot write, replace, chmod or remove: the mount is read-only (EROFS), and cannot be remounted.
    expect(report['writes']).toEqual({
      'new file': 'Read-only file system',
      overwrite: 'Read-only file system',
      chmod: 'Read-only file system',
      remove: 'Read-only file system',
      // the configuration file is the worker's, mounted read-only (container/configurationFiles.ts)
      configuration: 'Read-only file system',
    });
    expect(report['remount']).not.toBe(0);
    // Next to the input: the job's own /plz, not the cache's other entries.
    expect(report['plz']).toEqual(['configuration.json', 'input', 'measures', 'output', 'summary']);
    expect(report['parent_of_input']).toEqual(['configuration.json', 'input', 'measures', 'output', 'summary']);
    expect(JSON.stringify(report)).not.toContain('another input');
    // The files are read-only on the host too, and unchanged.
    expect(statSync(path.join(data, 'data.txt')).mode & 0o777).toBe(0o444);
    expect(readdirSync(data).sort()).toEqual(['data.txt', 'sub']);
  }, 300_000);

  it('gives a job whose image runs as another user its output, measures and summary folders and its configuration file mounted, then removes them', async () => {
    const files = jobSnapshot(`${bed.runId}-nobody`);
    const snapshot = await bed.snapshot({ ...files, Dockerfile: `${files['Dockerfile']!}USER nobody\n` });
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 2 } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0 });
    expect(row['summary']).toEqual({ max_accuracy: 0.8, best: { epoch: 3 } });
    expect(row['measures']).toMatchObject({ epoch_2: { loss: 0.5 } });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line']);
    expect(lines).toContain('parameters {"epochs": 2}');
    // the file goes with the container, in the background finalization
    const file = path.join(cacheDir, 'configurations', `${id}.json`);
    for (const end = Date.now() + 30_000; existsSync(file) && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.join(cacheDir, 'plz', id))).toBe(false);
    expect(await bed.containersOf(workerId)).toEqual([]);
  }, 300_000);

  it('keeps the code an image has under /plz (the CLI puts it at /plz/code) beside the mounted folders', async () => {
    const files = jobSnapshot(`${bed.runId}-plz-code`);
    const snapshot = await bed.snapshot({ ...files, Dockerfile: `# ${bed.runId}-plz-code\nFROM python:3.11-slim-bookworm\nWORKDIR /plz/code\nCOPY job.py /plz/code/job.py\nCMD ["python", "job.py"]\n` });
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 2 } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, error: null });
    expect(row['summary']).toEqual({ max_accuracy: 0.8, best: { epoch: 3 } });
    expect(row['measures']).toMatchObject({ epoch_2: { loss: 0.5 } });
    const models = await bed.mlflow.listArtifacts({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/models' });
    expect(models.map((file) => file.path?.split('/').at(-1))).toEqual(['model_1.txt', 'model_2.txt']);
  }, 300_000);

  it("copies an earlier execution's output into /plz/input beside the mounted folders, and the job reads it there", async () => {
    const snapshot = await bed.snapshot(jobSnapshot(`${bed.runId}-chain`));
    const first = await bed.submit({ snapshot, parameters: { epochs: 2 } });
    const firstRow = await bed.waitForState(first.id);
    expect(firstRow).toMatchObject({ state: 'succeeded' });
    const input = { kind: 'execution_output' as const, execution_id: first.id, mlflow_experiment_id: firstRow['mlflow_experiment_id'] as string, mlflow_run_id: firstRow['mlflow_run_id'] as string };
    const second = await bed.submit({ snapshot, parameters: { epochs: 1 }, input });
    const row = await bed.waitForState(second.id);
    expect(row).toMatchObject({ state: 'succeeded', error: null });
    const listed = await bed.mlflow.downloadArtifact({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/input-files.txt' });
    const chunks: Buffer[] = [];
    for await (const chunk of listed) chunks.push(Buffer.from(chunk as Buffer));
    expect(Buffer.concat(chunks).toString('utf8').split('\n')).toEqual(['input-files.txt', 'models/model_1.txt', 'models/model_2.txt']);
    // the input is not harvested as output, and the folder goes with the container
    const models = await bed.mlflow.listArtifacts({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/models' });
    expect(models.map((file) => file.path?.split('/').at(-1))).toEqual(['model_1.txt']);
    for (const end = Date.now() + 30_000; existsSync(path.join(cacheDir, 'plz', second.id)) && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(path.join(cacheDir, 'plz', second.id))).toBe(false);
  }, 300_000);

  it("reads the output, measures and summary from the execution's folders without following or opening what the job planted there", async () => {
    const snapshot = await bed.snapshot({ Dockerfile: `# ${bed.runId}-plant\nFROM python:3.11-slim-bookworm\nCOPY plant.py /plant.py\nCMD ["python", "/plant.py"]\n`, 'plant.py': plantScript });
    const { id } = await bed.submit({ snapshot });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, measures: {}, summary: null });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line'] ?? '');
    const report = JSON.parse(lines.find((line) => line.startsWith('report '))!.slice('report '.length)) as Record<string, unknown>;
    // the output, measures and summary folders are the execution's on the worker's volume; a hard link cannot leave its mount
    expect(report['mounts']).toEqual([true, true, true]);
    expect(report['summary_path']).toBe('/plz/summary/summary.json');
    expect(report['measures_removed']).toBe('Device or resource busy');
    expect(report['links']).toEqual({ hostname: 'Invalid cross-device link', 'image file': 'Invalid cross-device link' });
    const experimentId = row['mlflow_experiment_id'] as string;
    const runId = row['mlflow_run_id'] as string;
    const artifacts = (await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output' })).map((file) => file.path.split('/').at(-1));
    expect(artifacts).toEqual(['ok.txt']);
    expect(lines).toEqual(expect.arrayContaining(['skipped shadow: a link to /etc/shadow, outside the output folder', 'skipped environ: a link to /proc/1/environ, outside the output folder', 'skipped pipe: a fifo, not a file']));
    expect(lines.some((line) => line.includes('root:'))).toBe(false);
    // the folder goes with the container
    const folder = path.join(cacheDir, 'plz', id);
    for (const end = Date.now() + 30_000; existsSync(folder) && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(folder)).toBe(false);
    expect(await bed.containersOf(workerId)).toEqual([]);
  }, 300_000);

  it('ends an execution in `error` for an input whose stored bytes do not match its sha256, and keeps nothing of it', async () => {
    const snapshot = await bed.snapshot(probeSnapshot(bed.runId));
    const good = await rawTar([{ header: { name: 'data.txt', mode: 0o644 }, content: 'good' }]);
    const name = sha256(good);
    const damaged = Buffer.from(good);
    damaged[512] = 'G'.charCodeAt(0); // the file's first byte
    await bed.objects.write(buckets.inputs, inputObjectKey(name), damaged);
    const { id } = await bed.submit({ snapshot, input: { kind: 'input', sha256: name } });
    const row = await bed.waitForState(id);
    expect(row['state']).toBe('error');
    expect(row['error']).toContain('the stored object is damaged');
    expect(existsSync(path.join(cacheDir, 'inputs', name))).toBe(false);
    expect(readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
  }, 300_000);

  it("keeps a snapshot's build context: after its image is removed, the next build reads it from the cache, not from MinIO", async () => {
    const snapshot = await bed.snapshot(probeSnapshot(`${bed.runId}-context`));
    const first = await bed.submit({ snapshot });
    expect(await bed.waitForState(first.id)).toMatchObject({ state: 'succeeded' });
    await run(dockerCli, ['rmi', '-f', jobImageTag(snapshot)]);
    // garbage in the store: a download would fail its hash check
    await bed.objects.write(buckets.snapshots, snapshotObjectKey(snapshot), 'garbage');
    const second = await bed.submit({ snapshot });
    expect(await bed.waitForState(second.id)).toMatchObject({ state: 'succeeded', error: null });
    expect((await bed.logEntries(second.id)).map((entry) => entry['line'])).toContain(`building the image ${jobImageTag(snapshot)} from snapshot ${snapshot}`);
    expect(statSync(path.join(cacheDir, 'snapshots', snapshot, 'context.tar.gz')).mode & 0o777).toBe(0o444);
  }, 300_000);
});

describe('the input cache against MinIO and Docker: eviction, entries in use, damaged entries, refused archives', () => {
  let bed: TestBed;
  let root: string;
  const docker = dockerClient(undefined);
  const containers = new DockerContainers(docker);
  const logger = createLogger('silent', 'test');
  let reads: string[] = [];
  let serial = 0;

  beforeAll(async () => {
    bed = await createTestBed('cache-unit');
    root = path.join(bed.scratch, 'caches');
    mkdirSync(root);
  }, 120_000);

  afterAll(async () => {
    if (root) await removeTree(root);
    await bed?.close();
  }, 60_000);

  /** What a cache here reads from (MinIO, counting the objects in `reads`) and asks Docker. */
  const cacheDeps = (): ConstructorParameters<typeof InputCache>[0] => ({
    read: (hash) => {
      reads.push(hash);
      return bed.objects.read(buckets.inputs, inputObjectKey(hash));
    },
    readSnapshot: (hash) => {
      reads.push(`snapshot ${hash}`);
      return bed.objects.read(buckets.snapshots, snapshotObjectKey(hash));
    },
    mountSourcesInUse: () => containers.mountSourcesInUse(),
    logger,
  });

  /** A cache of its own in a new folder, with `capBytes`. */
  async function newCache(capBytes: number): Promise<InputCache> {
    const dir = path.join(root, `cache-${(serial += 1)}`);
    mkdirSync(dir);
    const cache = new InputCache(cacheDeps(), { dir, hostDir: dir, capBytes });
    await cache.start();
    reads = [];
    return cache;
  }

  /** An input of `size` bytes in one file, stored; returns its sha256. */
  const inputOf = (label: string, size: number) => bed.input({ [`${label}.bin`]: label.repeat(Math.ceil(size / label.length)).slice(0, size) });

  const use = async (cache: InputCache, hash: string) => {
    const held = await cache.hold(hash);
    held.release();
    return held;
  };

  it('downloads and extracts an input once, however often it is held', async () => {
    const cache = await newCache(10 * 1024 ** 2);
    const input = await inputOf('once', 1000);
    const held = await Promise.all([cache.hold(input), cache.hold(input), cache.hold(input)]);
    for (const one of held) one.release();
    expect((await use(cache, input)).hit).toBe(true);
    expect(reads).toEqual([input]);
    expect(cache.counters).toMatchObject({ extractions: 1, hits: 1 });
  });

  it('removes the least recently used entries past the cap, never one held or one a container mounts', async () => {
    const cache = await newCache(2500);
    const [a, b, c, d] = await Promise.all(['aaaa', 'bbbb', 'cccc', 'dddd'].map((label) => inputOf(label, 1000)));
    await use(cache, a!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await use(cache, b!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await use(cache, a!); // a is now more recent than b
    await cache.settled();
    expect(cache.counters.evictions).toBe(0);
    await use(cache, c!); // 3000 bytes > 2500: b, the least recently used, goes
    await cache.settled();
    const present = () => readdirSync(path.join(cache.settings.dir, 'inputs')).sort();
    expect(present()).toEqual([a, c].sort());

    // a is mounted by a container (created, never started), c and d are held (d as while its job's container is made): over the cap, none goes.
    const mounting = await docker.createContainer({
      Image: 'python:3.11-slim-bookworm',
      Labels: { [testLabel]: bed.runId },
      HostConfig: { Mounts: [{ Type: 'bind', Source: cache.hostPath(a!), Target: '/plz/input', ReadOnly: true }] },
    });
    try {
      const heldC = await cache.hold(c!);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const heldD = await cache.hold(d!);
      await cache.settled();
      expect(present()).toEqual([a, c, d].sort());
      expect(cache.counters.evictions).toBe(1);

      // Once the container is gone and c and d released, the next prune brings the cache under its cap: a, the least recently used, goes.
      await mounting.remove({ force: true });
      heldC.release();
      heldD.release();
      await cache.prune();
      expect(present()).toEqual([c, d].sort());
      expect(cache.counters.evictions).toBe(2);
      expect(readdirSync(path.join(cache.settings.dir, 'trash'))).toEqual([]);
    } finally {
      await mounting.remove({ force: true }).catch(() => undefined);
    }
  });

  it('never uses a partial entry: an extraction cut short (no record) or a leftover temporary folder is replaced by a whole one', async () => {
    const cache = await newCache(10 * 1024 ** 2);
    const input = await bed.input({ 'whole.txt': 'whole content', 'second.txt': 'second' });
    // what a crash could leave: files without the record, a half-written temporary folder
    const entry = path.join(cache.settings.dir, 'inputs', input);
    mkdirSync(path.join(entry, 'data'), { recursive: true });
    writeFileSync(path.join(entry, 'data', 'whole.txt'), 'whole c');
    writeFileSync(path.join(entry, 'entry.json'), '{"sha256":"');
    mkdirSync(path.join(cache.settings.dir, 'tmp', `${input}.1.abc`, 'data'), { recursive: true });
    await cache.start(); // a restart clears the temporary folder
    expect(readdirSync(path.join(cache.settings.dir, 'tmp'))).toEqual([]);
    const held = await use(cache, input);
    expect(held.hit).toBe(false);
    expect(reads).toEqual([input]);
    expect(readdirSync(held.hostPath).sort()).toEqual(['second.txt', 'whole.txt']);
    expect(statSync(path.join(held.hostPath, 'whole.txt')).size).toBe('whole content'.length);
  });

  it('downloads a snapshot once (checked against its sha256), evicted like inputs, readable while it is removed', async () => {
    const cache = await newCache(10 * 1024 ** 2);
    const snapshot = await bed.snapshot({ Dockerfile: `# ${bed.runId}-unit\nFROM python:3.11-slim-bookworm\n` });
    const text = async (stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const original = await text(await bed.objects.read(buckets.snapshots, snapshotObjectKey(snapshot)));
    expect(await text(await cache.readSnapshot(snapshot))).toEqual(original);
    const open = await cache.readSnapshot(snapshot);
    expect(reads).toEqual([`snapshot ${snapshot}`]);
    expect(cache.counters).toMatchObject({ snapshotDownloads: 1, snapshotHits: 1 });
    // over a cap of 0 the snapshot goes, while the stream opened before still reads it whole
    const tight = new InputCache(cacheDeps(), { ...cache.settings, capBytes: 0 });
    await tight.prune();
    expect(readdirSync(path.join(cache.settings.dir, 'snapshots'))).toEqual([]);
    expect(await text(open)).toEqual(original);

    const damaged = await bed.snapshot({ Dockerfile: 'FROM scratch\n' });
    await bed.objects.write(buckets.snapshots, snapshotObjectKey(damaged), 'garbage');
    await expect(cache.readSnapshot(damaged)).rejects.toThrow('the stored object is damaged');
    expect(readdirSync(path.join(cache.settings.dir, 'snapshots'))).toEqual([]);
    expect(readdirSync(path.join(cache.settings.dir, 'tmp'))).toEqual([]);
  });

  it('refuses archives with absolute names, "..", links leaving the input, devices, and writes nothing outside', async () => {
    const cache = await newCache(10 * 1024 ** 2);
    const outside = path.join(root, 'outside');
    const cases: Array<[string, Array<{ header: Partial<tar.Header> & { name: string }; content?: string }>, string]> = [
      ['absolute', [{ header: { name: '/etc/evil', mode: 0o644 }, content: 'x' }], 'is refused'],
      ['dot-dot', [{ header: { name: 'a/../../outside', mode: 0o644 }, content: 'x' }], 'is refused'],
      ['symlink out', [{ header: { name: 'up', type: 'symlink', linkname: '../../..' } }], 'links outside the input'],
      ['absolute symlink', [{ header: { name: 'etc', type: 'symlink', linkname: '/etc' } }], 'links outside the input'],
      [
        // each link stays inside by its text ('b/..' is '.'), but b is the root, so a is the root's parent
        'write through links',
        [
          { header: { name: 'b', type: 'symlink', linkname: '.' } },
          { header: { name: 'a', type: 'symlink', linkname: 'b/..' } },
          { header: { name: 'a/outside/file', mode: 0o644 }, content: 'x' },
        ],
        'would be written outside the input',
      ],
      ['hard link out', [{ header: { name: 'hard', type: 'link', linkname: '../outside' } }], 'hard link to a refused path'],
      ['device', [{ header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }], 'character-device'],
    ];
    for (const [label, entries, message] of cases) {
      const bytes = await rawTar(entries);
      const hash = sha256(bytes);
      await bed.objects.write(buckets.inputs, inputObjectKey(hash), bytes);
      await expect(cache.hold(hash)).rejects.toThrow(InputArchiveError);
      await expect(cache.hold(hash)).rejects.toThrow(message);
      expect([label, existsSync(path.join(cache.settings.dir, 'inputs', hash))]).toEqual([label, false]);
    }
    expect(existsSync(outside)).toBe(false);
    expect(existsSync('/etc/evil')).toBe(false);
    expect(readdirSync(path.join(cache.settings.dir, 'tmp'))).toEqual([]);
    const { stdout } = await run(dockerCli, ['ps', '-aq', '--filter', `label=${testLabel}=${bed.runId}`]);
    expect(stdout.trim()).toBe('');
  });
});

/** A CPU job container's settings, for containerSpec (only its mounts are used here). */
const specBase: ContainerSpecInput = {
  executionId: '',
  workerId: 'cpu-folders',
  snapshot: 'a'.repeat(64),
  image: 'python:3.11-slim-bookworm',
  deviceIds: [],
  resources: { gpus: 0 },
  limits: { memoryBytes: 1024 ** 3, cpus: 1, shmBytes: 64 * 1024 ** 2, pidsLimit: 256, maxRunSeconds: 60 },
  network: 'none',
  stopGraceSeconds: 1,
};

describe("executions' folders against Docker: a worker's start never prunes one a container mounts", () => {
  const docker = dockerClient(undefined);
  const containers = new DockerContainers(docker);
  let root: string;
  const runId = `folders-${process.pid}`;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'plz-folders-'));
  });
  afterAll(async () => {
    const { stdout } = await run(dockerCli, ['ps', '-aq', '--filter', `label=${testLabel}=${runId}`]);
    if (stdout.trim()) await run(dockerCli, ['rm', '-f', ...stdout.trim().split('\n')]);
    await removeTree(root);
  });

  it('keeps the folder of a container that mounts it (as after a restart, past the grace), removes it once the container is gone', async () => {
    const folders = new PlzFolders({ dir: root, hostDir: root });
    const id = randomUUID();
    const folder = await folders.create(id);
    // the mounts the worker's spec gives a job container
    const spec = containerSpec({ ...specBase, executionId: id, plzFolderSource: folder.hostPath });
    const container = await docker.createContainer({ Image: 'python:3.11-slim-bookworm', Labels: { [testLabel]: runId }, HostConfig: { Mounts: spec.HostConfig.Mounts } });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(folder.dir, old, old);
    expect(await folders.prune(await containers.mountSourcesInUse())).toBe(0);
    expect(existsSync(folder.dir)).toBe(true);
    await container.remove({ force: true });
    expect(await folders.prune(await containers.mountSourcesInUse())).toBe(1);
    expect(existsSync(folder.dir)).toBe(false);
  }, 60_000);
});
