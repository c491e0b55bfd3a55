import { z } from 'zod';
import { priorities, ProjectName, Resources } from '@plz/contracts';
import { parseInputUri } from '../input.js';

const validInput = (uri: string): boolean => {
  try {
    parseInputUri(uri);
    return true;
  } catch {
    return false;
  }
};

/** `resources` in one layer: no defaults here, so a layer that sets only `memory` keeps `gpus` from below. */
const LayerResources = Resources.extend({ gpus: z.number().int().min(0).max(16).optional() });

/**
 * Keys of `plz.config.json` (every layer). All optional here; `project` is required once the
 * layers are merged (`ResolvedConfig`). Unknown keys are refused by name.
 */
export const ConfigFile = z
  .object({
    /** Base URL of the deployment, e.g. `http://127.0.0.1:8080` (the REST API lives under /api/). */
    url: z
      .string()
      .url()
      .refine((url) => /^https?:\/\//i.test(url), { message: 'expected an http:// or https:// URL' }),
    /** API token (an admin creates one with `plz admin tokens create USER`; init-deployment.sh printed the first admin's). */
    token: z.string().min(1),
    project: ProjectName,
    /** Base image of the job, e.g. `python:3.11-slim-bookworm`. */
    image: z.string().min(1),
    /** Shell commands run on top of `image` when the job image is built (Dockerfile RUN lines). */
    image_extensions: z.array(z.string().min(1)),
    /** The job's command: exec form (array) or a shell command (string). */
    command: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    /** `file://PATH` (relative to the file that sets it), `input_id://SHA256` or `execution://ID`. */
    input: z.string().min(1).refine(validInput, { message: 'expected file://PATH, input_id://SHA256 or execution://ID' }),
    excluded_paths: z.array(z.string().min(1)),
    /** Paths kept in the snapshot even when excluded or gitignored. */
    included_paths: z.array(z.string().min(1)),
    exclude_gitignored_files: z.boolean(),
    /** Folder whose files make the snapshot (relative to the file that sets it). */
    context_path: z.string().min(1),
    resources: LayerResources,
    max_run_seconds: z.number().int().positive(),
    /** Priority of `plz run` and `plz sweep` in their queue (`--priority` wins); none: the deployment's default, `normal`. */
    priority: z.enum(priorities, { error: 'expected high, normal or low' }),
    quiet_build: z.boolean(),
    /**
     * `plz run` takes the results of an earlier succeeded execution of yours with the same snapshot,
     * input, parameters and resources instead of running the job again (`--no-reuse` overrides).
     * Off by default: jobs may be nondeterministic.
     */
    reuse: z.boolean(),
    debug: z.boolean(),
    /** PEM file of a CA to trust for `url` (a self-signed HTTPS deployment). */
    ca_file: z.string().min(1),
  })
  .partial()
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;

/** The merged configuration, with defaults applied and paths made absolute. */
export const ResolvedConfig = ConfigFile.required({ project: true, url: true }).extend({
  image: z.string().min(1),
  image_extensions: z.array(z.string()),
  excluded_paths: z.array(z.string()),
  included_paths: z.array(z.string()),
  exclude_gitignored_files: z.boolean(),
  context_path: z.string(),
  resources: Resources,
  quiet_build: z.boolean(),
  debug: z.boolean(),
});
export type ResolvedConfig = z.infer<typeof ResolvedConfig>;

/**
 * The merged configuration of a command that needs no project (`plz admin`, `plz ui`, `plz ping`):
 * only the deployment (`url`, `token`, `ca_file`) matters, `project` may be missing.
 */
export const ServerConfig = ResolvedConfig.partial({ project: true });
export type ServerConfig = z.infer<typeof ServerConfig>;

/** No default `url`: a missing one says to run `plz login URL` (see load.ts). */
export const defaults = {
  image: 'python:3.11-slim-bookworm',
  image_extensions: [] as string[],
  excluded_paths: [] as string[],
  included_paths: [] as string[],
  exclude_gitignored_files: true,
  context_path: '.',
  resources: { gpus: 0 },
  quiet_build: false,
  debug: false,
} satisfies ConfigFile;

/** Keys whose relative paths are resolved against the folder of the file that set them. */
export const pathKeys = ['context_path', 'ca_file'] as const;
