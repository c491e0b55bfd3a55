import { stopAll, type Stoppers } from '../services.js';

/** Jest global teardown: stops what the global setup started. */
export default async function globalTeardown(): Promise<void> {
  const stoppers = (globalThis as { plzTestServices?: Stoppers }).plzTestServices ?? [];
  await stopAll(stoppers);
}
