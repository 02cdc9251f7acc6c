/** The library surface of twinvla: the policy runtime and its errors. */
export * from './model/index.js';
export { TwinvlaError, ModelError, InputError, ParameterError, BagError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { consoleLogger, MemoryLogger } from './log.js';
export type { Logger, LogLevel } from './log.js';
