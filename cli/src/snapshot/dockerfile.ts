import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

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
 * Dockerfile instructions (https://docs.docker.com/reference/dockerfile/#overview), upper case as
 * Plz's configurations write them: a line in lower case (`env FOO=1 make`, `add-apt-repository`)
 * is a shell command.
 */
const instruction = /^(RUN|ENV|ARG|COPY|ADD|WORKDIR|USER|LABEL|EXPOSE|SHELL|VOLUME|ENTRYPOINT|CMD|ONBUILD|STOPSIGNAL|HEALTHCHECK)\s/;

/**
 * One `image_extensions` entry as a Dockerfile line: as it is when it already starts with a
 * Dockerfile instruction (`RUN pip install numpy`, `ENV PYTHONUNBUFFERED=1`), else wrapped in
 * `RUN`; line breaks continue the line.
 */
export function imageExtensionLine(extension: string): string {
  const text = extension.trim().replace(/\n/g, ' \\\n  ');
  return instruction.test(text) ? text : `RUN ${text}`;
}

/**
 * The Dockerfile at the root of a snapshot: the user's `plz.Dockerfile` when the context has one,
 * else one generated from `image`, `image_extensions` (see imageExtensionLine, in order) and `command` (exec
 * form for a list, shell form for a string). The worker builds it with the snapshot as context.
 *
 * @throws ConfigError (code `no_command`) when neither a plz.Dockerfile nor a command is given.
 */
export function snapshotDockerfile(contextRoot: string, settings: DockerfileSettings): string {
  const own = path.join(contextRoot, userDockerfileName);
  if (existsSync(own)) return readFileSync(own, 'utf8');
  if (settings.command === undefined || settings.command.length === 0) {
    throw new ConfigError(`no "command" in plz.config.json and no ${userDockerfileName} in ${contextRoot}`, 'say what the job runs, e.g. "command": ["python", "main.py"]', 'no_command');
  }
  const lines = [`FROM ${settings.image}`, `WORKDIR ${codeDirectory}`];
  for (const extension of settings.imageExtensions) lines.push(imageExtensionLine(extension));
  lines.push('COPY . ./');
  lines.push(typeof settings.command === 'string' ? `CMD ${settings.command}` : `CMD ${JSON.stringify(settings.command)}`);
  return `${lines.join('\n')}\n`;
}
