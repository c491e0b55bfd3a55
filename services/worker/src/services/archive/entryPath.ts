import path from 'node:path';

/** A tar entry's path, checked: relative to the archived folder, normalised, '/'-separated. */
export type EntryPath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Checks the name of an entry in a tar from Docker's archive endpoint (GET /containers/{id}/archive,
 * whose entries all start with the base name of the requested path, e.g. `output/…`) and returns
 * it relative to that folder. Refused: absolute names, `..` components, NUL bytes, and names outside
 * `root`. The folder's own entry (`output/`) gives the empty path.
 *
 * @param name the entry's name as written in the tar header.
 * @param root base name of the archived path (`output`, `measures`, `summary.json`).
 */
export function entryPath(name: string, root: string): EntryPath {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  if (name.startsWith('/')) return { ok: false, reason: 'is absolute' };
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { ok: false, reason: 'contains ".."' };
  if (parts[0] !== root) return { ok: false, reason: `is outside ${root}/` };
  return { ok: true, path: parts.slice(1).join('/') };
}

/**
 * Resolves a link target (symbolic: relative to the link's folder, or absolute inside the
 * container; hard: relative to the archive root) to a path inside the archived folder, or
 * undefined when it points outside it.
 *
 * @param linkPath the link's own path, relative to the archived folder (from `entryPath`).
 * @param target the header's `linkname`.
 * @param kind `symlink` or `link` (hard link, named from the archive root as `root/...`).
 * @param containerFolder absolute path of the archived folder in the container (`/plz/output`).
 */
export function linkTarget(linkPath: string, target: string, kind: 'symlink' | 'link', containerFolder: string): string | undefined {
  if (target.includes('\0')) return undefined;
  let resolved: string;
  if (kind === 'link') {
    const checked = entryPath(target, path.posix.basename(containerFolder));
    return checked.ok && checked.path !== '' ? checked.path : undefined;
  }
  if (target.startsWith('/')) resolved = path.posix.normalize(target);
  else resolved = path.posix.normalize(path.posix.join(containerFolder, path.posix.dirname(linkPath), target));
  const prefix = `${containerFolder}/`;
  return resolved.startsWith(prefix) && resolved.length > prefix.length ? resolved.slice(prefix.length) : undefined;
}

/** The content of one tar entry (tar-stream's entry stream): read it to its end, or `resume()` to skip it. */
export type EntryContent = AsyncIterable<unknown> & { resume(): unknown };
