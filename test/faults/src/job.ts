import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** Parameters of one execution of the fault suite's job (its `--parameters`). */
export interface JobParameters {
  /** The fault's name: outputs differ from one fault to the next. */
  fault: string;
  /** 0-based number of the execution within its fault. */
  index: number;
  /** How long the job sleeps before writing its results, in seconds. */
  seconds: number;
}

/** The image every job runs on: cached on the build machines (stand-in images only have `-bookworm` tags). */
export const jobImage = 'python:3.11-slim-bookworm';

/**
 * The job: sleeps `seconds`, then writes `result.txt` into its output folder (100 lines derived from
 * its parameters, see expectedOutput), the measures `index` and `value` (see expectedMeasures) and
 * the summary `{ fault, index }`, reading the folders from CONFIGURATION_FILE (ARCHITECTURE.md §4).
 */
const mainPy = `import hashlib, json, os, time

config = json.load(open(os.environ["CONFIGURATION_FILE"]))
p = config["parameters"]
print(f"fault job {p['fault']} #{p['index']}: sleeping {p['seconds']} s", flush=True)
time.sleep(p["seconds"])
lines = []
for i in range(100):
    digest = hashlib.sha256(f"{p['fault']}:{p['index']}:{i}".encode()).hexdigest()
    lines.append(f"{p['fault']} {p['index']} {i} {digest}\\n")
with open(os.path.join(config["output_directory"], "result.txt"), "w") as out:
    out.write("".join(lines))
value = int(hashlib.sha256(f"{p['fault']}:{p['index']}".encode()).hexdigest()[:8], 16)
with open(os.path.join(config["measures_directory"], "index"), "w") as out:
    json.dump(p["index"], out)
with open(os.path.join(config["measures_directory"], "value"), "w") as out:
    json.dump(value, out)
with open(config["summary_measures_path"], "w") as out:
    json.dump({"fault": p["fault"], "index": p["index"]}, out)
print(f"fault job {p['fault']} #{p['index']}: done", flush=True)
`;

const dockerfile = `FROM ${jobImage}\nWORKDIR /plz/code\nCOPY . ./\nCMD ["python", "main.py"]\n`;

/** A snapshot as the CLI uploads it: a gzipped tar holding the Dockerfile at its root, and its sha256. */
export interface Snapshot {
  bytes: Buffer;
  sha256: string;
}

/** The job's snapshot (Dockerfile and main.py), the same bytes each time (fixed times, owners and modes). */
export async function jobSnapshot(): Promise<Snapshot> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, content] of [['Dockerfile', dockerfile], ['main.py', mainPy]] as const) {
    pack.entry({ name, mode: 0o644, mtime: new Date('2000-01-01T00:00:00Z'), uid: 0, gid: 0, uname: '', gname: '' }, content);
  }
  pack.finalize();
  await ended;
  const bytes = gzipSync(Buffer.concat(chunks));
  return { bytes, sha256: sha256(bytes) };
}

/** sha256 of bytes or text, as 64 lowercase hex digits. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The content `result.txt` of a job with these parameters must have (the job's own computation, in TypeScript). */
export function expectedOutput(parameters: JobParameters): string {
  let text = '';
  for (let i = 0; i < 100; i += 1) {
    text += `${parameters.fault} ${parameters.index} ${i} ${sha256(`${parameters.fault}:${parameters.index}:${i}`)}\n`;
  }
  return text;
}

/** The measures and summary that a job with these parameters must leave. */
export function expectedMeasures(parameters: JobParameters): { measures: Record<string, number>; summary: { fault: string; index: number } } {
  const value = Number.parseInt(sha256(`${parameters.fault}:${parameters.index}`).slice(0, 8), 16);
  return { measures: { index: parameters.index, value }, summary: { fault: parameters.fault, index: parameters.index } };
}

/** JSON with object keys sorted at every depth: equal values give equal text, hence equal digests. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The file `name` in an uncompressed tar (as `GET /api/v1/executions/{id}/output` sends it), or
 * undefined when the archive has no such file.
 */
export async function fileInTar(archive: Buffer, name: string): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file' && header.name.replace(/^(\.\/)+/, '') === name) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(archive);
  await done;
  return found;
}
