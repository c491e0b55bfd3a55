export { loadConfig, type Config } from './config.js';
export { runMigrations } from '@plz/lifecycle';
export { buildApp } from './app.js';
export { openRuntime, type Runtime, type RuntimeSettings, type Services } from './runtime.js';
export { createLogger, type Logger } from './logger.js';
export { apiRoutes } from './routes/index.js';
export { openApiDocument } from './openapi/document.js';
export { generateToken, hashToken } from './services/access/tokens.js';
