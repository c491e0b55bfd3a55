import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ComposeProject } from '@plz/test-harness';

/** What the fault suite needs of a running generated deployment. */
export interface FaultDeployment {
  /** Its compose project (`docker compose -f <folder>/docker-compose.yml -p <slug>`). */
  project: ComposeProject;
  /** An admin API token (secrets/admin-token). */
  token: string;
}

/**
 * A generated deployment already running from `directory` (the folder `yo plz-deploy` wrote and
 * `./init-deployment.sh` prepared): its project name is the compose file's `name:`.
 * @throws Error when the folder holds no generated compose file or admin token.
 */
export function deploymentAt(directory: string): FaultDeployment {
  const file = path.join(directory, 'docker-compose.yml');
  const name = /^name: "([^"]+)"$/m.exec(readFileSync(file, 'utf8'))?.[1];
  if (!name) throw new Error(`${file} has no \`name: "..."\` line: is ${directory} a generated deployment?`);
  const token = readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim();
  return { project: new ComposeProject(file, name, {}), token };
}
