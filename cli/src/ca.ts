import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `ca_file` (a PEM file of a CA that signed the deployment's certificate, e.g. a
 * self-signed HTTPS deployment) is set, Node's fetch must trust it. Node reads extra CAs only at
 * start (`NODE_EXTRA_CA_CERTS`, https://nodejs.org/api/cli.html#node_extra_ca_certsfile), so the
 * CLI starts itself again with it set, once.
 *
 * @returns the child's exit status when it re-ran itself, or undefined when no re-run is needed
 *   (no ca_file, already set, or the configuration does not load: the command reports that itself).
 *   The project is not needed here, so commands run outside a project folder trust it too.
 */
export async function rerunWithCaFile(argv: readonly string[]): Promise<number | undefined> {
  const configIndex = argv.findIndex((arg) => arg === '-c' || arg === '--config');
  const configPath = configIndex >= 0 ? argv[configIndex + 1] : argv.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
  let caFile: string | undefined;
  // `plz login --ca-file FILE` trusts FILE before it is stored.
  const flagIndex = argv.indexOf('--ca-file');
  const flag = flagIndex >= 0 ? argv[flagIndex + 1] : argv.find((arg) => arg.startsWith('--ca-file='))?.slice('--ca-file='.length);
  if (flag) {
    caFile = path.resolve(flag);
  } else {
    try {
      const { loadServerConfig } = await import('./config/load.js');
      caFile = loadServerConfig({ cwd: process.cwd(), ...(configPath ? { configPath } : {}), env: process.env }).config.ca_file;
    } catch {
      return undefined;
    }
  }
  if (!caFile || process.env['NODE_EXTRA_CA_CERTS'] === caFile || !existsSync(caFile)) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
  // Ctrl-C reaches both processes (same process group): the child handles it, this one waits.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.removeListener('SIGINT', ignore);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
