export { faultSuite, runFault, stuckAfterMs } from './suite.js';
export { deploymentAt, type FaultDeployment } from './deployment.js';
export { formatTable, type FaultRow } from './ledger.js';
