import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import type { Identity } from '@plz/contracts';
import { ApiClient } from '../../api/client.js';
import { loadServerConfig, userConfigFile } from '../../config/load.js';
import { normaliseUrl, readUserConfig, updateUserConfig } from '../../config/user.js';
import { ConfigError, UsageError } from '../../errors.js';
import { Printer } from '../../output.js';
import { globalOptions } from '../common.js';
import { readToken } from './token.js';

const Options = z.object({ tokenStdin: z.boolean().default(false), caFile: z.string().min(1).optional() });

/** The URL to log in to: the one given, else the one configured (user file, PLZ_URL, project files). */
function urlToUse(given: string | undefined, command: Command): string {
  if (given !== undefined) return normaliseUrl(given);
  const configured = readUserConfig(userConfigFile({ env: process.env }))['url'];
  if (typeof configured === 'string') return normaliseUrl(configured);
  try {
    const options = globalOptions(command);
    return normaliseUrl(loadServerConfig({ cwd: process.cwd(), ...(options.config ? { configPath: options.config } : {}), env: process.env }).config.url);
  } catch {
    throw new UsageError('which deployment? No URL is configured yet', 'run plz login URL, e.g. plz login https://plz.example.org', 'not_logged_in');
  }
}

/**
 * `plz login [URL]`: asks for a token (or reads it with --token-stdin), checks it with
 * `GET /api/v1/me`, and stores `url` and `token` (and `ca_file` with --ca-file) in the user
 * configuration file (mode 0600), keeping its other keys. Without URL, the configured one.
 */
export function loginCommand(): Command {
  return new Command('login')
    .description('log in to a deployment once: checks the token and stores url and token in your user configuration')
    .argument('[url]', 'the deployment, e.g. https://plz.example.org (default: the one configured)')
    .option('--token-stdin', 'read the token from stdin instead of asking for it')
    .option('--ca-file <file>', 'PEM file of the CA that signed the deployment\'s certificate (stored as ca_file)')
    .action(async function (this: Command, given: string | undefined) {
      const options = Options.parse(this.opts());
      const printer = new Printer(Boolean(globalOptions(this).json));
      const url = urlToUse(given, this);
      const caFile = options.caFile === undefined ? undefined : path.resolve(options.caFile);
      if (caFile !== undefined && !existsSync(caFile)) throw new UsageError(`CA file ${caFile} does not exist`, 'give the PEM file of the CA that signed the deployment\'s certificate', 'bad_ca_file');
      const token = await readToken({ fromStdin: options.tokenStdin, url });
      const me = await new ApiClient(url, token).json<Identity>('GET', '/api/v1/me');
      const file = userConfigFile({ env: process.env });
      try {
        updateUserConfig(file, { url, token, ...(caFile ? { ca_file: caFile } : {}) });
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(`cannot write ${file}: ${(error as Error).message}`, 'check that you may write there, or set XDG_CONFIG_HOME', 'config_write');
      }
      printer.result({ url, user: me.name, role: me.role, file }, `logged in to ${url} as ${me.name} (${me.role}); saved in ${file}`);
    });
}
