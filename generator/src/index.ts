export { parseGpuGroups } from './gpus.js';
