export { runMigrations } from './repositories/migrate.js';
export { errorEnd, stoppedEnd, type ExecutionEnd, type ExecutionRow, type NewExecution } from './row.js';
export { canMove, sourcesOf, transitions } from './transitions.js';
export { ExecutionStore, insertRow, takenStates, type TakenExecution } from './repositories/store.js';
export { LogStream, logStreamTtlSeconds, type LogEntry, type LogLine } from './redis/logStream.js';
export { isAlive, lastSeen, readHeartbeats, removeHeartbeat, writeHeartbeat, type HeartbeatState } from './redis/heartbeats.js';
export { signalStop, stopRequested, StopSignals } from './redis/stopSignals.js';
export { memoryPressureRatio, redisMemory, type RedisMemory } from './redis/memory.js';
export { defaultFairShare, FairShareEnv, fairShareSettings } from './dispatch/settings.js';
