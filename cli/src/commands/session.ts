import type { ApiClient } from '../api/client.js';
import type { ResolvedConfig, ServerConfig } from '../config/schema.js';
import type { Printer } from '../output.js';

/** What an action works with: the merged configuration, an API client and a printer (opened by common.ts). */
export interface Session<Config extends ServerConfig = ResolvedConfig> {
  config: Config;
  api: ApiClient;
  printer: Printer;
  /** The configuration files read (user file, parent folders, the nearest or `-c FILE`), nearest last. */
  configFiles: string[];
}

let opened: Session<ServerConfig> | undefined;

/**
 * The session the command of this process opened, if any (the version reminder asks its
 * deployment). Kept apart from common.ts, which loads the configuration's schemas, so that
 * `main` asks without loading them.
 */
export function openedSession(): Session<ServerConfig> | undefined {
  return opened;
}

/** Records the session this process's command opened (openSession, openServerSession). */
export function rememberSession(session: Session<ServerConfig>): void {
  opened = session;
}
