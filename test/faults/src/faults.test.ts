import { describe, it } from '@jest/globals';
import { deploymentAt } from './deployment.js';
import { faultSuite } from './suite.js';

/**
 * The fault suite alone, on a deployment that is already running: PLZ_FAULTS_DEPLOYMENT names its
 * folder (test/faults/scripts/dev-deployment.sh brings one up). Without it, skipped: in CI the suite
 * runs at the end of test/e2e/src/deployment-stack.test.ts, on the deployment that test brings up.
 * From the repository root (PLZ_TEST_SERVICES=none: the testkit's own servers are not needed):
 *   PLZ_FAULTS_DEPLOYMENT=DIR PLZ_TEST_SERVICES=none node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects @plz/faults
 */
const directory = process.env['PLZ_FAULTS_DEPLOYMENT'];

if (directory) {
  describe(`the deployment in ${directory}`, () => {
    faultSuite(() => deploymentAt(directory));
  });
} else {
  describe('fault suite alone', () => {
    it.skip('needs PLZ_FAULTS_DEPLOYMENT=<folder of a running generated deployment> (in CI it runs in @plz/e2e deployment-stack.test.ts)', () => undefined);
  });
}
