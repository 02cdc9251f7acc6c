/**
 * The package's errors. Each carries a `code` so callers can branch without matching strings, and a
 * message naming the file, topic, field or parameter, what was expected, what was found and what to do.
 */
export type ErrorCode =
  | 'MODEL_MANIFEST'
  | 'MODEL_FILE'
  | 'MODEL_INTEGRITY'
  | 'MODEL_GRAPH'
  | 'MODEL_PROVIDER'
  | 'INPUT'
  | 'PARAMETER'
  | 'BAG'
  | 'ROS';

export class TwinvlaError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A model folder that cannot be used: manifest, files, checksums, graphs, providers. */
export class ModelError extends TwinvlaError {}

/** An observation or request that the runtime refuses (a wrong shape, NaN, a missing camera). */
export class InputError extends TwinvlaError {
  constructor(message: string) {
    super('INPUT', message);
  }
}

export class ParameterError extends TwinvlaError {
  constructor(message: string) {
    super('PARAMETER', message);
  }
}

export class BagError extends TwinvlaError {
  constructor(message: string) {
    super('BAG', message);
  }
}
