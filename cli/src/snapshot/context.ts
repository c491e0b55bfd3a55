import { lstatSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** What to leave out of, and keep in, a snapshot. Patterns use .gitignore syntax. */
export interface ContextRules {
  excludedPaths: readonly string[];
  /** Kept even when excluded or gitignored (an included file inside an excluded folder is kept). */
  includedPaths: readonly string[];
  /** Honour `.gitignore` files (at every level of the context, as git does). */
  excludeGitignored: boolean;
  /**
   * Never listed, whatever `includedPaths` says: files with one of these names at any depth
   * (the snapshot passes `plz.config.json`: see neverInSnapshot).
   */
  neverNames?: readonly string[];
  /**
   * Never listed, whatever `includedPaths` says: these files (absolute paths) wherever they sit
   * in the context, recognised by device and inode, so another spelling of the path (a symbolic
   * link to a parent folder, a hard link) does not bring them in. Missing files are ignored.
   */
  neverFiles?: readonly string[];
}

/**
 * The credentials a snapshot never carries: every file named `plz.config.json` (the file name of
 * every configuration layer; one may hold the token) and the configuration files actually read
 * (the user configuration `$XDG_CONFIG_HOME/plz/plz.config.json` and a `-c FILE`, whatever their
 * names). The job does not read them: the worker gives it its own CONFIGURATION_FILE.
 */
export function neverInSnapshot(configFiles: readonly string[]): Pick<ContextRules, 'neverNames' | 'neverFiles'> {
  return { neverNames: ['plz.config.json'], neverFiles: configFiles };
}

/** `dev:ino` of each file that exists (statSync follows links: the identity of the file itself). */
function fileIdentities(files: readonly string[]): Set<string> {
  const identities = new Set<string>();
  for (const file of files) {
    try {
      const stat = statSync(file);
      identities.add(`${stat.dev}:${stat.ino}`);
    } catch {
      // a file that does not exist cannot be in the context
    }
  }
  return identities;
}

interface IgnoreScope {
  /** Folder of the .gitignore, relative to the context root ('' for the root). */
  base: string;
  rules: Ignore;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/**
 * Lists the files and folders of a snapshot's context, relative to `root`, in POSIX form and
 * sorted (byte order), so that the same tree always gives the same list. `.git` is never part of
 * it, nor what `neverNames` and `neverFiles` name (whatever `includedPaths` says). Symbolic links are listed as links (never followed).
 *
 * @returns entries; a folder appears (with a trailing '/') only when something inside it is kept.
 */
export function listContext(root: string, rules: ContextRules): string[] {
  const excluded = ignore().add([...rules.excludedPaths]);
  const included = ignore().add([...rules.includedPaths]);
  const mayInclude = rules.includedPaths.length > 0;
  const neverNames = new Set(rules.neverNames ?? []);
  const neverFiles = fileIdentities(rules.neverFiles ?? []);
  const isNever = (rel: string, entry: Dirent): boolean => {
    if (neverNames.has(entry.name)) return true;
    if (neverFiles.size === 0 || entry.isDirectory()) return false;
    const stat = lstatSync(path.join(root, rel));
    return neverFiles.has(`${stat.dev}:${stat.ino}`);
  };
  const kept: string[] = [];

  const ignoredByGit = (scopes: IgnoreScope[], rel: string, isDir: boolean): boolean =>
    scopes.some(({ base, rules: scope }) => {
      const local = base ? rel.slice(base.length + 1) : rel;
      return local !== '' && scope.ignores(isDir ? `${local}/` : local);
    });

  const walk = (relDir: string, scopes: IgnoreScope[], dirExcluded: boolean): boolean => {
    const abs = path.join(root, relDir);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      throw new Error(`cannot read ${abs}: ${(error as Error).message}`);
    }
    let localScopes = scopes;
    if (rules.excludeGitignored && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      localScopes = [...scopes, { base: relDir, rules: ignore().add(readFileSync(path.join(abs, '.gitignore'), 'utf8')) }];
    }
    let keptSomething = false;
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name === '.git') continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (isNever(rel, entry)) continue;
      const isDir = entry.isDirectory();
      const probe = isDir ? `${rel}/` : rel;
      const out = dirExcluded || excluded.ignores(probe) || (rules.excludeGitignored && ignoredByGit(localScopes, rel, isDir));
      if (isDir) {
        if (out && !mayInclude) continue;
        const mark = kept.length;
        if (walk(rel, localScopes, out && !included.ignores(probe))) {
          kept.splice(mark, 0, `${rel}/`);
          keptSomething = true;
        } else if (!out) {
          kept.splice(mark, 0, `${rel}/`); // an empty folder that is not excluded
          keptSomething = true;
        }
      } else if (!out || included.ignores(rel)) {
        kept.push(rel);
        keptSomething = true;
      }
    }
    return keptSomething;
  };

  walk('', [], false);
  return kept.map(toPosix);
}
