import { createReadStream, mkdirSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import cliProgress from 'cli-progress';
import { extract } from 'tar';
import type { ApiClient } from './client.js';

/** Transfers over this size get a progress bar on a terminal. */
export const progressThresholdBytes = 1024 * 1024;

/**
 * A progress bar on stderr for `label` (when `show` and `total` is unknown or at least
 * progressThresholdBytes), or one that does nothing.
 */
export function progress(label: string, total: number | undefined, show: boolean): { tick(n: number): void; stop(): void } {
  if (!show || (total !== undefined && total < progressThresholdBytes)) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value_mb}/{total_mb} MB`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let done = 0;
  bar.start(total ?? 0, 0, { value_mb: mb(0), total_mb: total === undefined ? '?' : mb(total) });
  return {
    tick(n) {
      done += n;
      bar.update(done, { value_mb: mb(done) });
    },
    stop: () => bar.stop(),
  };
}

const counting = (tick: (n: number) => void) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tick(chunk.length);
      callback(null, chunk);
    },
  });

/**
 * Uploads a content-addressed body (`kind` snapshots or inputs) unless the server has it already
 * (HEAD first). `open` gives the body as a stream of exactly `bytes` bytes (a file read, or an
 * archive packed again: see openArchive); it is read once, with backpressure, never holding more
 * than a few MiB of it. The server hashes it on the way to the object store (in parallel multipart
 * parts) and stores it only when its sha256 is `sha256`.
 *
 * @returns true when it uploaded, false when the server already had it.
 * @throws ApiClientError as the server answers: `hash_mismatch` (422) when the body's sha256 differs
 *   (for a packed input: a file changed between hashing and sending; nothing was stored).
 */
export async function uploadIfMissing(
  api: ApiClient,
  kind: 'snapshots' | 'inputs',
  sha256: string,
  open: () => Readable,
  bytes: number,
  showProgress: boolean,
): Promise<boolean> {
  const path = `/api/v1/${kind}/${sha256}`;
  const head = await api.request('HEAD', path, { accept: [404] });
  if (head.status !== 404) return false;
  const bar = progress(`uploading ${kind === 'snapshots' ? 'snapshot' : 'input'}`, bytes, showProgress);
  try {
    await api.upload('PUT', path, open().pipe(counting((n) => bar.tick(n))), bytes, { 'content-type': 'application/octet-stream' });
  } finally {
    bar.stop();
  }
  return true;
}

/** A file as uploadIfMissing's `open` (1 MiB reads). */
export const fileBody = (file: string) => (): Readable => createReadStream(file, { highWaterMark: 1024 * 1024 });

/**
 * Downloads a tar stream from `path` and extracts it into `destination` (created if needed).
 * node-tar refuses absolute paths and `..` in entry names, so nothing lands outside `destination`.
 *
 * @returns the number of files extracted.
 */
export async function downloadTar(api: ApiClient, path: string, query: Record<string, string | undefined>, destination: string, showProgress: boolean): Promise<number> {
  const response = await api.request('GET', path, { query });
  const length = Number(response.headers.get('content-length') ?? '') || undefined;
  const bar = progress('downloading output', length, showProgress);
  mkdirSync(destination, { recursive: true });
  let files = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      counting((n) => bar.tick(n)),
      extract({ cwd: destination, strict: true, onentry: (entry) => void (entry.type === 'File' && files++) }),
    );
  } finally {
    bar.stop();
  }
  return files;
}
