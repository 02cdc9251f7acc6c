/**
 * Errors across the inference thread: structured clone keeps neither an error's class nor its fields,
 * so each is sent as plain data and rebuilt on the main thread with its class, its code and, for a
 * refused snapshot, its input, reason and age (the PolicyNode counts refusals by reason).
 */
import {
  BagError, InputError, InternalError, ModelError, ParameterError, SnapshotRefused, TwinvlaError,
  type ErrorCode, type RefusalReason,
} from '../errors.js';

export type SerializedError =
  | { kind: 'refused'; input: string; reason: RefusalReason; detail: string; age: number | null }
  | { kind: 'coded'; name: string; code: ErrorCode; message: string }
  | { kind: 'other'; message: string };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof SnapshotRefused) return { kind: 'refused', input: e.input, reason: e.reason, detail: e.detail, age: e.age };
  if (e instanceof TwinvlaError) return { kind: 'coded', name: e.name, code: e.code, message: e.message };
  return { kind: 'other', message: e instanceof Error ? e.stack ?? e.message : String(e) };
}

/** A TwinvlaError of the same class as was thrown; a failure without a code becomes an InternalError
 * carrying the worker's stack. */
export function reviveError(e: SerializedError): TwinvlaError {
  switch (e.kind) {
    case 'refused': return new SnapshotRefused(e.input, e.reason, e.detail, e.age);
    case 'coded': {
      let revived: TwinvlaError;
      switch (e.name) {
        case 'InputError': revived = new InputError(e.message); break;
        case 'ParameterError': revived = new ParameterError(e.message); break;
        case 'BagError': revived = new BagError(e.message); break;
        case 'ModelError': revived = new ModelError(e.code, e.message); break;
        default: revived = new TwinvlaError(e.code, e.message);
      }
      return revived;
    }
    case 'other': return new InternalError(`the inference thread failed: ${e.message}`);
    default: {
      const unknown: never = e;
      return new InternalError(`unknown error record from the inference thread: ${JSON.stringify(unknown)}`);
    }
  }
}
