export * from './execution.js';
export * from './spec.js';
export * from './job.js';
export * from './keys.js';
export * from './container.js';
export * from './record.js';
