import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The file in a context that replaces the generated Dockerfile (Plz's convention). */
export const userDockerfileName = 'plz.Dockerfile';
/** Where the job's code sits in the job image. */
export const codeDirectory = '/plz/code';

export interface DockerfileSettings {
  image: string;
  imageExtensions: readonly string[];
  command?: readonly string[] | string | undefined;
}

/**
 * The Dockerfile at the root of a snapshot: the user's `plz.Dockerfile` when the context has one,
 * else one generated from `image`, `image_extensions` (RUN lines, in order) and `command` (exec
 * form for a list, shell form for a string). The worker builds it with the snapshot as context.
 *
 * @throws Error when neither a plz.Dockerfile nor a command is given.
 */
export function snapshotDockerfile(contextRoot: string, settings: DockerfileSettings): string {
  const own = path.join(contextRoot, userDockerfileName);
  if (existsSync(own)) return readFileSync(own, 'utf8');
  if (settings.command === undefined || settings.command.length === 0) {
    throw new Error(`no "command" in plz.config.json and no ${userDockerfileName} in ${contextRoot}: say what the job runs, e.g. "command": ["python", "main.py"]`);
  }
  const lines = [`FROM ${settings.image}`, `WORKDIR ${codeDirectory}`];
  for (const extension of settings.imageExtensions) lines.push(`RUN ${extension.replace(/\n/g, ' \\\n  ')}`);
  lines.push('COPY . ./');
  lines.push(typeof settings.command === 'string' ? `CMD ${settings.command}` : `CMD ${JSON.stringify(settings.command)}`);
  return `${lines.join('\n')}\n`;
}
