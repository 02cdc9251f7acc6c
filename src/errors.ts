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
  | 'ROS'
  | 'OUTPUT'
  | 'INTERNAL';

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

/** An output that cannot be written (the --out folder: permissions, space, a file in the way). */
export class OutputError extends TwinvlaError {
  constructor(message: string) {
    super('OUTPUT', message);
  }
}

export type RefusalReason = 'missing' | 'stale' | 'future' | 'invalid';

/** A snapshot the policy will not run on, naming the input and why (observe/snapshot.ts). Kept here,
 * with the other errors, so that it keeps its reason when it crosses the inference thread. */
export class SnapshotRefused extends InputError {
  readonly input: string;
  readonly reason: RefusalReason;
  readonly detail: string;
  readonly age: number | null;

  constructor(input: string, reason: RefusalReason, detail: string, age: number | null = null) {
    super(`snapshot refused: ${input}: ${detail}`);
    this.input = input;
    this.reason = reason;
    this.detail = detail;
    this.age = age;
  }
}

/** A state the code should never reach (an unhandled union member, a broken invariant): a bug to report. */
export class InternalError extends TwinvlaError {
  constructor(message: string) {
    super('INTERNAL', `${message} (a bug in twinvla: please report it with this message)`);
  }
}
