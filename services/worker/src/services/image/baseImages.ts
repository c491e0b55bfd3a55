/**
 * The images a Dockerfile builds from, for the check that a job never starts from another
 * execution's image (ARCHITECTURE.md §6). Read as Docker's classic builder reads a Dockerfile
 * (https://docs.docker.com/reference/dockerfile/): parser directives, the escape character, line
 * continuations, comments, global `ARG`s (those before the first `FROM`, the only ones `FROM` may
 * use), `FROM [--platform=…] image [AS name]`, `COPY --from=…` (an earlier stage, a stage index or
 * an image) and the same inside `ONBUILD`. Whatever cannot be resolved for sure is reported as
 * unsure, and the caller refuses it.
 */

/** An image the Dockerfile names: `instruction` is the whole instruction as written (one line). */
export type ImageReference = { instruction: string; image: string } | { instruction: string; unsure: string };

/** Joins continued lines into instructions (comments and empty lines inside one are dropped). */
function instructions(dockerfile: string): string[] {
  const lines = dockerfile.split(/\r?\n/);
  let escape = '\\';
  // Parser directives: leading `# key=value` comments, before anything else.
  for (const line of lines) {
    const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape') escape = directive[2]!;
  }
  const out: string[] = [];
  let current: string | undefined;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const continued = trimmed.endsWith(escape);
    const text = (continued ? trimmed.slice(0, -escape.length) : trimmed).trim();
    current = current === undefined ? text : `${current} ${text}`.trim();
    if (!continued) {
      out.push(current.trim());
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current.trim());
  return out;
}

/** `ARG A=1 B="x y" C` → [['A','1'], ['B','x y'], ['C', undefined]]. */
function argDefinitions(rest: string): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  for (const match of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
    const raw = match[2];
    out.push([match[1]!, raw === undefined ? undefined : raw.replace(/^(["'])(.*)\1$/, '$2')]);
  }
  return out;
}

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` with the global ARGs' defaults
 * (the worker passes no build arguments). Undefined when a variable has no value, or when a `$`
 * is left that this does not understand.
 */
export function substitute(text: string, args: ReadonlyMap<string, string | undefined>): string | undefined {
  let unsure = false;
  const value = text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const current = args.get(name);
    const set = current !== undefined && current !== '';
    if (op === '-') return set ? current : word!;
    if (op === '+') return set ? word! : '';
    if (current === undefined) unsure = true;
    return current ?? '';
  });
  if (unsure || value.includes('$')) return undefined;
  return value;
}

/**
 * Every image a Dockerfile names (FROM bases that are not earlier stages, COPY --from images),
 * with ARG defaults substituted. Pure.
 */
export function imageReferences(dockerfile: string): ImageReference[] {
  const args = new Map<string, string | undefined>();
  const stages = new Set<string>();
  const refs: ImageReference[] = [];
  let seenFrom = false;
  const named = (instruction: string, raw: string) => {
    const image = substitute(raw, args);
    if (image === undefined || image === '') refs.push({ instruction, unsure: `cannot resolve "${raw}" (a build argument without a default?)` });
    else if (!stages.has(image.toLowerCase())) refs.push({ instruction, image });
  };
  for (const instruction of instructions(dockerfile)) {
    let [keyword = '', ...rest] = instruction.split(/\s+/);
    keyword = keyword.toUpperCase();
    if (keyword === 'ONBUILD') [keyword = '', ...rest] = [(rest[0] ?? '').toUpperCase(), ...rest.slice(1)];
    if (keyword === 'ARG' && !seenFrom) {
      for (const [name, value] of argDefinitions(rest.join(' '))) args.set(name, value);
    } else if (keyword === 'FROM') {
      seenFrom = true;
      const words = rest.filter((word) => !word.startsWith('--'));
      if (words.length === 0) {
        refs.push({ instruction, unsure: 'FROM without an image' });
        continue;
      }
      named(instruction, words[0]!);
      if (words.length >= 3 && words[1]!.toUpperCase() === 'AS') stages.add(words[2]!.toLowerCase());
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      for (const flag of rest.filter((word) => /^--from=/i.test(word))) {
        const source = flag.slice('--from='.length);
        if (/^\d+$/.test(source) || stages.has(source.toLowerCase())) continue;
        if (source.includes('$')) refs.push({ instruction, unsure: `cannot resolve "${source}"` });
        else refs.push({ instruction, image: source });
      }
    }
  }
  return refs;
}

/** The repository of a reference, as Docker normalises it: lower case, without tag, digest, `docker.io/` and `library/`. */
export function repositoryOf(image: string): string {
  let name = image.toLowerCase().split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  return name.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

/** Repository of the job images (contracts jobImageTag). */
export const jobImageRepository = 'plz-job';

/**
 * Why a Dockerfile may not be built, or undefined when it may: a reference to the `plz-job`
 * repository by any spelling (tag, digest, `docker.io/library/` prefix, upper case), an image id
 * (`sha256:…`, or hexadecimal that prefixes a local image's id: Docker's classic builder resolves
 * both locally, and intermediate images of other executions' builds show their ids in build logs),
 * or a reference that cannot be resolved.
 *
 * @param localImageIds ids (`sha256:<64 hex>`) of every local image, intermediate ones included
 *   (GET /images/json?all=1 `Id`).
 */
export function refusal(dockerfile: string, localImageIds: readonly string[]): string | undefined {
  for (const ref of imageReferences(dockerfile)) {
    if ('unsure' in ref) return `refused \`${ref.instruction}\`: ${ref.unsure}; name base images by repository and tag`;
    const image = ref.image.toLowerCase();
    if (repositoryOf(image) === jobImageRepository) {
      return `refused \`${ref.instruction}\`: ${jobImageRepository} images belong to other executions; start from a public base image`;
    }
    const hex = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(image)?.[1];
    if (image.startsWith('sha256:') || (hex && localImageIds.some((id) => id.replace(/^sha256:/, '').startsWith(hex)))) {
      return `refused \`${ref.instruction}\`: an image id names an image of this host, possibly another execution's; name base images by repository and tag`;
    }
  }
  return undefined;
}
