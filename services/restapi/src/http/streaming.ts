import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';

/** Resolves on the response's next 'drain' or 'close', whichever comes first, leaving no listener behind. */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes every chunk of `chunks` to the response, waiting for 'drain' when the client reads
 * slowly, then ends it. Stops early (and closes the source) when the client goes away.
 */
export async function writeChunks(res: Response, chunks: AsyncIterable<string | Buffer>): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (res.destroyed || res.writableEnded) return;
      const next = await iterator.next();
      if (next.done) break;
      if (!res.write(next.value)) await drainedOrClosed(res);
    }
    res.end();
  } finally {
    await iterator.return?.(undefined);
  }
}

/** An AbortSignal that fires when the client closes the connection before the response ended. */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Pipes a readable (a tar stream) into the response. A client that goes away midway is not an
 * error; a failing source is (the caller's error handler then cuts the connection).
 */
export async function pipeToResponse(source: NodeJS.ReadableStream & { destroy(error?: Error): void }, res: Response): Promise<void> {
  const gone = clientGone(res);
  try {
    await pipeline(source, res);
  } catch (error) {
    if (gone.aborted) return;
    throw error;
  }
}
