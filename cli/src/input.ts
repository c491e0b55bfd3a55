import { ConfigError } from './errors.js';

/** Where a job's input comes from (`input` in plz.config.json). */
export type InputSource =
  | { kind: 'file'; path: string }
  | { kind: 'input_id'; sha256: string }
  | { kind: 'execution'; executionId: string };

/**
 * Parses an input URI: `file://PATH` (a local folder, relative to the config file's folder),
 * `input_id://SHA256` (an input already stored), `execution://ID` (an earlier execution's output).
 *
 * @throws ConfigError (code `input`) naming the value and the accepted forms.
 */
export function parseInputUri(uri: string): InputSource {
  const match = /^([a-z][a-z0-9_+.-]*):\/\/(.*)$/.exec(uri);
  const forms = 'file://PATH, input_id://SHA256 or execution://ID';
  const hint = `"input" in plz.config.json (or PLZ_INPUT) is one of ${forms}`;
  if (!match) throw new ConfigError(`input ${JSON.stringify(uri)} is not a URI: use ${forms}`, hint, 'input');
  const [, scheme, rest] = match as unknown as [string, string, string];
  switch (scheme) {
    case 'file':
      if (!rest) throw new ConfigError('input file:// needs a path, for example file://data', hint, 'input');
      return { kind: 'file', path: rest };
    case 'input_id':
      if (!/^[0-9a-f]{64}$/.test(rest)) throw new ConfigError(`input_id:// needs a sha256 (64 hex digits), got ${JSON.stringify(rest)}`, hint, 'input');
      return { kind: 'input_id', sha256: rest };
    case 'execution':
      if (!/^[0-9a-f-]{36}$/i.test(rest)) throw new ConfigError(`execution:// needs an execution id (a UUID), got ${JSON.stringify(rest)}`, hint, 'input');
      return { kind: 'execution', executionId: rest.toLowerCase() };
    default:
      throw new ConfigError(`input scheme "${scheme}://" is not supported: use ${forms}`, hint, 'input');
  }
}
