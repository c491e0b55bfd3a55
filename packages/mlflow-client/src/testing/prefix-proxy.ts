import { createServer, request as httpRequest, type Server } from 'node:http';

/** A reverse proxy serving `upstream` under a path prefix, as NGINX serves MLflow under `/mlflow`. */
export interface PrefixProxy {
  /** `http://127.0.0.1:<port><prefix>`: the base URL a client uses. */
  url: string;
  /** Request body bytes received from clients so far. */
  receivedBytes(): number;
  close(): Promise<void>;
}

/**
 * Starts a small streaming reverse proxy for tests: `GET <prefix>/x` is forwarded to
 * `<upstream>/x`, bodies piped both ways with backpressure, and every request body byte counted, so
 * that a test can see an upload arrive while it is still being produced. Paths outside the prefix
 * get 404. Test support only (not exported by the package).
 */
export async function startPrefixProxy(upstream: string, prefix: string): Promise<PrefixProxy> {
  const target = new URL(upstream);
  let received = 0;
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('outside the prefix');
      return;
    }
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: url.slice(prefix.length), headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    receivedBytes: () => received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
