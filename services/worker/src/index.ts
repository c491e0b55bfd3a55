export * from './gpus.js';
export { loadConfig, type Config } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { startWorker, type RunningWorker } from './app.js';
export { defaultSettings, type WorkerSettings } from './settings.js';
export { containerSpec, jobContainerName, type ContainerSpec, type ContainerSpecInput } from './services/container/spec.js';
export { measureMetrics, measuresObject, summaryMetrics, type MeasureFile, type MetricPoint } from './services/measures/parse.js';
