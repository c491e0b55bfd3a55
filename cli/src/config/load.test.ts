import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadServerConfig, userConfigDir } from './load.js';

/** A folder tree: home/.config/plz, team/, team/project/ (cwd). */
function tree(files: Record<string, unknown>): { root: string; cwd: string; userConfigDir: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'plz-config-'));
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  }
  const cwd = path.join(root, 'team/project');
  mkdirSync(cwd, { recursive: true });
  return { root, cwd, userConfigDir: path.join(root, 'home/.config/plz') };
}

describe('loadConfig layering', () => {
  it('applies defaults < user < parents < local < environment', () => {
    const t = tree({
      'home/.config/plz/plz.config.json': { url: 'http://user:1', token: 'user-token', image: 'user-image' },
      'team/plz.config.json': { url: 'http://team:2', resources: { gpus: 1, memory: '1g' }, excluded_paths: ['data'] },
      'team/project/plz.config.json': { project: 'digits', resources: { memory: '2g' } },
    });
    const { config, files } = loadConfig({ cwd: t.cwd, env: { PLZ_TOKEN: 'env-token', PLZ_QUIET_BUILD: 'true', HOME_OTHER: 'x' }, userConfigDir: t.userConfigDir });
    expect(files.map((f) => path.relative(t.root, f))).toEqual(['home/.config/plz/plz.config.json', 'team/plz.config.json', 'team/project/plz.config.json']);
    expect(config).toMatchObject({
      project: 'digits',
      url: 'http://team:2',
      token: 'env-token',
      image: 'user-image',
      excluded_paths: ['data'],
      resources: { gpus: 1, memory: 2 * 1024 ** 3 },
      quiet_build: true,
      exclude_gitignored_files: true,
      context_path: t.cwd,
    });
  });

  it('lets -c replace the local file and resolves paths against the file that sets them', () => {
    const t = tree({
      'team/project/plz.config.json': { project: 'local' },
      'team/project/cuda/plz.cuda.json': { project: 'cuda', context_path: '..', input: 'file://../data' },
    });
    const { config } = loadConfig({ cwd: t.cwd, configPath: 'cuda/plz.cuda.json', env: { PLZ_URL: 'http://env:3' }, userConfigDir: t.userConfigDir });
    expect(config.project).toBe('cuda');
    expect(config.context_path).toBe(t.cwd);
    expect(config.input).toBe(`file://${path.join(t.cwd, 'data')}`);
  });
});

describe('priority', () => {
  it('comes from the file, and PLZ_PRIORITY (a plain string) wins over it', () => {
    const t = tree({ 'team/project/plz.config.json': { project: 'p', url: 'http://x', priority: 'low' } });
    expect(loadConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir }).config.priority).toBe('low');
    expect(loadConfig({ cwd: t.cwd, env: { PLZ_PRIORITY: 'high' }, userConfigDir: t.userConfigDir }).config.priority).toBe('high');
    const none = tree({ 'team/project/plz.config.json': { project: 'p', url: 'http://x' } });
    expect(loadConfig({ cwd: none.cwd, env: {}, userConfigDir: none.userConfigDir }).config.priority).toBeUndefined();
  });

  it('refuses anything but high, normal or low, naming where it came from', () => {
    const t = tree({ 'team/project/plz.config.json': { project: 'p', url: 'http://x', priority: 'urgent' } });
    expect(() => loadConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir })).toThrow(/plz\.config\.json:\n {2}"priority": expected high, normal or low \(got "urgent"\)/);
    const env = tree({ 'team/project/plz.config.json': { project: 'p', url: 'http://x' } });
    expect(() => loadConfig({ cwd: env.cwd, env: { PLZ_PRIORITY: 'HIGH' }, userConfigDir: env.userConfigDir })).toThrow(/environment:\n {2}"priority": expected high, normal or low \(got "HIGH"\)/);
  });
});

describe('loadConfig errors', () => {
  const error = (files: Record<string, unknown>, env: Record<string, string> = {}, configPath?: string): string => {
    const t = tree(files);
    try {
      loadConfig({ cwd: t.cwd, env, userConfigDir: t.userConfigDir, ...(configPath ? { configPath } : {}) });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('says when there is no configuration at all', () => {
    expect(error({})).toMatch(/no plz\.config\.json found in .*team\/project or its parents/);
  });

  it('names unknown keys', () => {
    expect(error({ 'team/project/plz.config.json': { project: 'p', imag: 'x' } })).toMatch(/plz\.config\.json:\n {2}unknown key "imag"/);
  });

  it('names a wrong type with the offending value', () => {
    expect(error({ 'team/project/plz.config.json': { project: 'p', resources: { gpus: 'two' } } })).toContain('"resources.gpus"');
    expect(error({ 'team/project/plz.config.json': { project: 'p', resources: { gpus: 'two' } } })).toContain('(got "two")');
    expect(error({ 'team/project/plz.config.json': { project: 'p', quiet_build: 'yes' } })).toMatch(/"quiet_build": .*\(got "yes"\)/);
  });

  it('requires a project', () => {
    expect(error({ 'team/project/plz.config.json': { image: 'python' } })).toMatch(/"project" is required/);
  });

  it('reports invalid JSON, a non-object, a missing -c file and bad environment JSON', () => {
    expect(error({ 'team/project/plz.config.json': '{"project": ' })).toMatch(/is not valid JSON/);
    expect(error({ 'team/project/plz.config.json': '[1]' })).toMatch(/expected a JSON object/);
    expect(error({ 'team/project/plz.config.json': { project: 'p' } }, {}, 'nope.json')).toMatch(/nope\.json \(from -c\) does not exist/);
    expect(error({ 'team/project/plz.config.json': { project: 'p' } }, { PLZ_RESOURCES: '{gpus:1}' })).toMatch(/PLZ_RESOURCES must be JSON/);
    expect(error({ 'team/project/plz.config.json': { project: 'bad name!' } })).toMatch(/"project": .*\(got "bad name!"\)/);
  });
});

describe('the user configuration and the deployment URL', () => {
  it('reads the user file from $XDG_CONFIG_HOME/plz when it is set, else ~/.config/plz', () => {
    const t = tree({ 'xdg/plz/plz.config.json': { url: 'http://xdg:1', token: 'xdg-token' } });
    const xdg = path.join(t.root, 'xdg');
    expect(userConfigDir({ XDG_CONFIG_HOME: xdg })).toBe(path.join(xdg, 'plz'));
    expect(userConfigDir({ XDG_CONFIG_HOME: 'relative' })).toBe(path.join(homedir(), '.config', 'plz'));
    expect(userConfigDir({})).toBe(path.join(homedir(), '.config', 'plz'));
    expect(loadServerConfig({ cwd: t.cwd, env: { XDG_CONFIG_HOME: xdg } }).config).toMatchObject({ url: 'http://xdg:1', token: 'xdg-token' });
  });

  it('has no default URL: a missing one says to log in', () => {
    const t = tree({ 'team/project/plz.config.json': { project: 'p' } });
    expect(() => loadConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir })).toThrow(expect.objectContaining({ code: 'not_logged_in', hint: expect.stringContaining('plz login URL') }));
  });

  it('refuses a URL that is not http or https, and an input that is not a URI', () => {
    const t = tree({ 'team/project/plz.config.json': { project: 'p', url: 'ftp://x' } });
    expect(() => loadConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir })).toThrow(/expected an http:\/\/ or https:\/\/ URL/);
    const input = tree({ 'team/project/plz.config.json': { project: 'p', url: 'http://x', input: 'data' } });
    expect(() => loadConfig({ cwd: input.cwd, env: {}, userConfigDir: input.userConfigDir })).toThrow(/"input": expected file:\/\/PATH/);
  });
});

describe('loadServerConfig (commands that need no project)', () => {
  it('works outside a project from the environment or the user file alone', () => {
    const t = tree({ 'home/.config/plz/plz.config.json': { url: 'http://user:1', token: 'user-token' } });
    expect(loadServerConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir }).config).toMatchObject({ url: 'http://user:1', token: 'user-token' });
    expect(loadServerConfig({ cwd: t.cwd, env: { PLZ_TOKEN: 'env-token' }, userConfigDir: t.userConfigDir }).config.token).toBe('env-token');
    const bare = tree({});
    const { config } = loadServerConfig({ cwd: bare.cwd, env: { PLZ_URL: 'http://env:3', PLZ_TOKEN: 't' }, userConfigDir: bare.userConfigDir });
    expect(config).toMatchObject({ url: 'http://env:3', token: 't' });
    expect(config.project).toBeUndefined();
  });

  it('still reads a project folder, and says where to put url and token when there is nothing', () => {
    const t = tree({ 'team/project/plz.config.json': { project: 'digits', url: 'http://team:2' } });
    expect(loadServerConfig({ cwd: t.cwd, env: {}, userConfigDir: t.userConfigDir }).config).toMatchObject({ project: 'digits', url: 'http://team:2' });
    const bare = tree({});
    expect(() => loadServerConfig({ cwd: bare.cwd, env: {}, userConfigDir: bare.userConfigDir })).toThrow(/not logged in: no .*home\/\.config\/plz\/plz\.config\.json and no PLZ_URL/);
    const wrong = tree({ 'home/.config/plz/plz.config.json': { url: 'not a url' } });
    expect(() => loadServerConfig({ cwd: wrong.cwd, env: {}, userConfigDir: wrong.userConfigDir })).toThrow(ConfigError);
  });
});
