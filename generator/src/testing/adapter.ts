import { Duplex } from 'node:stream';
import type { YeomanTest } from 'yeoman-test';

/**
 * Makes the TestAdapter that yeoman-test builds for each run work on Node.js >= 24.22.
 *
 * @yeoman/adapter 5.0.0's TestAdapter gives its prompts `Duplex.from(async () => {})` as output, a
 * function that returns without reading what it is written. Since Node.js 24.22 (nodejs/node#62953,
 * backported) such a duplex is destroyed with an AbortError as soon as the function returns, and
 * with no 'error' listener the test process dies ("Unhandled 'error' event", ABORT_ERR) before the
 * generator runs. Node.js 22.23 and 24.21 keep the duplex open. While `helpers` builds a
 * TestAdapter, a function given to `Duplex.from` becomes one that drains its input (a sink, what
 * the adapter meant); `Duplex.from` is restored before the constructor returns.
 *
 * @param helpers the yeoman-test instance whose `createTestAdapter` is wrapped (changed in place).
 */
export function drainTestAdapterOutput(helpers: YeomanTest): void {
  const createTestAdapter = helpers.createTestAdapter.bind(helpers);
  helpers.createTestAdapter = (options) => {
    const from = Duplex.from;
    const drain = async (source: AsyncIterable<unknown>): Promise<void> => {
      for await (const chunk of source) void chunk;
    };
    Duplex.from = (body: Parameters<typeof Duplex.from>[0]): Duplex => from.call(Duplex, typeof body === 'function' ? drain : body);
    try {
      return createTestAdapter(options);
    } finally {
      Duplex.from = from;
    }
  };
}
