export { loadConfig, type Config } from './config.js';
export { runMigrations } from './repositories/migrate.js';
