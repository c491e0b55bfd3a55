import { startTestServices, wantedServices } from '../services.js';

/** Jest global setup: starts the real services the tests need, once per run. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const wanted = wantedServices();
  (globalThis as { plzTestServices?: unknown }).plzTestServices = await startTestServices(wanted);
  if (wanted.size) {
    process.stderr.write(`\n[testkit] started ${[...wanted].join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
