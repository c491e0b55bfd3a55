import password from '@inquirer/password';
import { UsageError } from '../../errors.js';

/** Reads a whole stream as text (the token piped to `--token-stdin`). */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/**
 * The token `plz login` checks and stores: read from stdin with `fromStdin` (surrounding white
 * space removed), else asked on the terminal without echo (@inquirer/password, on stderr so that
 * stdout stays one JSON document under --json).
 *
 * @throws UsageError (code `no_token`) when stdin is not a terminal and `fromStdin` is false, or
 *   when the token read is empty.
 */
export async function readToken(options: { fromStdin: boolean; url: string; stdin?: NodeJS.ReadStream }): Promise<string> {
  const stdin = options.stdin ?? process.stdin;
  let token: string;
  if (options.fromStdin) {
    token = (await readAll(stdin)).trim();
  } else if (stdin.isTTY) {
    token = (await password({ message: `API token for ${options.url}:`, mask: false }, { input: stdin, output: process.stderr })).trim();
  } else {
    throw new UsageError('no terminal to ask for the token on', `pipe it in: plz login ${options.url} --token-stdin < token-file (an admin creates one with plz admin tokens create USER)`, 'no_token');
  }
  if (!token) throw new UsageError('the token is empty', 'an admin creates one with plz admin tokens create USER', 'no_token');
  if (/\s/.test(token)) throw new UsageError('the token has white space in it', 'give the token alone, on one line', 'no_token');
  return token;
}
