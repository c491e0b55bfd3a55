import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { caBundleContextPath, caPreamble, withPreambleAfterFrom } from './caCertificates.js';
import { skeletonContextPath, skeletonEntries, withSkeletonCopy } from './skeleton.js';

/** Largest Dockerfile or .dockerignore rewritten in memory. */
const maxRewrittenBytes = 1024 ** 2;

async function readAll(stream: AsyncIterable<unknown>, limit: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`${name} is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const normalName = (name: string): string => name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/**
 * Writes the Docker build context of a snapshot to `destination`, rewritten entry by entry,
 * streaming: the root `Dockerfile` (and a root `dockerfile`, which Docker's classic builder reads
 * when there is no `Dockerfile`) gets the CA preamble after each FROM when there is a `bundle`
 * (caCertificates.ts), and the skeleton's COPY at the end (skeleton.ts); a root `.dockerignore`
 * gets the exceptions that keep what is added in the context; the skeleton's folders, and the
 * bundle when there is one, are added under `.plz-build/`.
 *
 * @param snapshot the snapshot object's bytes (tar.gz, as the CLI uploads it).
 * @throws Error when the archive is not a gzipped tar, or a rewritten file exceeds 1 MiB;
 *   DockerfileEndError when the Dockerfile ends inside a continued instruction.
 */
export async function writeBuildContext(snapshot: Readable, destination: string, bundle: string | undefined): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(destination));
  const read = pipeline(snapshot, createGunzip(), extract);
  const add = (header: Parameters<typeof pack.entry>[0], body: string | Buffer) => new Promise<void>((resolve, reject) => pack.entry(header, body, (error) => (error ? reject(error) : resolve())));
  try {
    for await (const entry of extract) {
      const header = { ...entry.header };
      const name = normalName(header.name);
      if ((name === 'Dockerfile' || name === 'dockerfile' || name === '.dockerignore') && header.type === 'file') {
        const text = (await readAll(entry, maxRewrittenBytes, name)).toString('utf8');
        const rewritten = name === '.dockerignore' ? withContextExceptions(text, bundle !== undefined) : withSkeletonCopy(bundle ? withPreambleAfterFrom(text, caPreamble()) : text);
        await add({ ...header, size: Buffer.byteLength(rewritten) }, rewritten);
      } else if (header.type === 'file' && (header.size ?? 0) > 0) {
        await pipeline(Readable.from(entry), pack.entry(header));
      } else {
        entry.resume();
        await add(header, Buffer.alloc(0));
      }
    }
    await read;
    for (const folder of skeletonEntries()) await add(folder, Buffer.alloc(0));
    if (bundle) await add({ name: caBundleContextPath, mode: 0o644, mtime: new Date(0) }, bundle);
    pack.finalize();
    await written;
  } catch (error) {
    pack.destroy(error as Error);
    await Promise.allSettled([read, written]);
    throw error;
  }
}

/**
 * Appends to a `.dockerignore` the exceptions that keep what the worker adds in the context: the
 * skeleton's folders, and the CA bundle when `withBundle`.
 */
export function withContextExceptions(dockerignore: string, withBundle: boolean): string {
  const kept = [skeletonContextPath, `${skeletonContextPath}/**`, ...(withBundle ? [caBundleContextPath] : [])];
  return `${dockerignore.replace(/\n?$/, '\n')}${kept.map((entry) => `!${entry}\n`).join('')}`;
}

/**
 * The root `Dockerfile` (else `dockerfile`, which Docker's classic builder also accepts) of a
 * build context file, a tar or tar.gz; undefined when it has neither. Stops reading at the
 * Dockerfile when it is found before the end.
 *
 * @throws Error when the file is not a (gzipped) tar, or the Dockerfile exceeds 1 MiB.
 */
export async function readDockerfile(contextFile: string): Promise<string | undefined> {
  const head = Buffer.alloc(2);
  const handle = await open(contextFile, 'r');
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const source = createReadStream(contextFile);
  const extract = tar.extract();
  const reading = (head[0] === 0x1f && head[1] === 0x8b ? pipeline(source, createGunzip(), extract) : pipeline(source, extract)).catch((error: unknown) => error as Error);
  let found: { name: string; text: string } | undefined;
  for await (const entry of extract) {
    const name = normalName(entry.header.name);
    if ((name === 'Dockerfile' || (name === 'dockerfile' && !found)) && entry.header.type === 'file') {
      found = { name, text: (await readAll(entry, maxRewrittenBytes, name)).toString('utf8') };
      if (name === 'Dockerfile') break;
    } else {
      entry.resume();
    }
  }
  source.destroy();
  const failure = await reading;
  if (failure && !found && !/premature close/i.test(failure.message)) throw failure;
  return found?.text;
}
