import { containerPaths } from '@plz/contracts';

/**
 * The `/plz` skeleton every job image carries (contracts `jobImageTag`, layout 2).
 *
 * The job contract (ARCHITECTURE.md §4) gives each job `/plz` with its input, output and measures
 * folders and the configuration file. The folders are the same for every execution of a snapshot,
 * so they are built into the job image: the worker adds them to the build context at
 * `skeletonContextPath` and appends one `COPY` of them to the Dockerfile (after its last
 * instruction: the last stage is the image). Only the configuration file differs per execution:
 * it is bind-mounted read-only (container/configurationFiles.ts). A job container then needs no
 * archive copied in before its start, which made Docker mount the created container's file system
 * (about 180 ms of the worker's critical path per execution; tools/bench/README.md, sweep pace).
 *
 * Modes, kept by Docker's classic builder from the context's tar headers (owner root): `/plz` is
 * sticky and world-writable (like /tmp), output and measures world-writable, so a job whose image
 * runs as another user (`USER`) can still write its output, measures and summary; the input folder
 * is 0755 (the mount point of a cached input, or where a copied input is extracted).
 */
export const skeletonContextPath = '.plz-build/skeleton';

/** The skeleton's folders, as tar entries under skeletonContextPath (root first). */
export function skeletonEntries(): Array<{ name: string; type: 'directory'; mode: number; mtime: Date }> {
  const mtime = new Date(0);
  const folder = (inContainer: string, mode: number) => ({ name: `${skeletonContextPath}${inContainer}/`, type: 'directory' as const, mode, mtime });
  return [
    folder(containerPaths.root, 0o1777),
    folder(containerPaths.input, 0o755),
    folder(containerPaths.output, 0o777),
    folder(containerPaths.measures, 0o777),
  ];
}

/** Raised when a Dockerfile cannot take the skeleton's COPY: it ends inside a continued instruction. */
export class DockerfileEndError extends Error {}

/**
 * Appends the skeleton's COPY to a Dockerfile, after its last instruction.
 *
 * @throws DockerfileEndError when the file's last instruction is continued with the escape
 *   character (`\`, or the `# escape=` directive's; https://docs.docker.com/reference/dockerfile/#escape)
 *   up to the end: a line appended there would become part of it.
 */
export function withSkeletonCopy(dockerfile: string): string {
  const escape = /^#\s*escape\s*=\s*(\S)\s*$/im.exec(dockerfile.split(/\r?\n(?!#)/, 1)[0] ?? '')?.[1] ?? '\\';
  const last = dockerfile.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')).pop();
  if (last?.endsWith(escape)) throw new DockerfileEndError(`the Dockerfile ends inside a continued instruction (its last line ends with ${escape})`);
  return `${dockerfile.replace(/\r?\n?$/, '\n')}# plz: the job's /plz folders (input, output, measures)\nCOPY ${skeletonContextPath}/ /\n`;
}
