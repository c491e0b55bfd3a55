export * from './gpus.js';
