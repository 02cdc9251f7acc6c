/**
 * Validated parameter values read back with their types, so that each node turns its schema's values
 * into one typed record (its `*Config`) without a cast at any use site. The values were checked by
 * resolveParams against the same schema; a getter that finds another type means the record and the
 * schema disagree (a programming error), and says which parameter.
 */
import { ParameterError } from '../errors.js';
import type { ParamValues } from './params.js';

export class ParamReader {
  readonly #values: ParamValues;
  readonly #source: string;

  constructor(values: ParamValues, source: string) {
    this.#values = values;
    this.#source = source;
  }

  #wrong(name: string, expected: string): ParameterError {
    return new ParameterError(`${this.#source}: parameter ${name} = ${JSON.stringify(this.#values[name]) ?? 'nothing'}: expected ${expected} (the node's schema and its configuration disagree).`);
  }

  bool(name: string): boolean {
    const v = this.#values[name];
    if (typeof v !== 'boolean') throw this.#wrong(name, 'true or false');
    return v;
  }

  number(name: string): number {
    const v = this.#values[name];
    if (typeof v !== 'number') throw this.#wrong(name, 'a number');
    return v;
  }

  string(name: string): string {
    const v = this.#values[name];
    if (typeof v !== 'string') throw this.#wrong(name, 'a string');
    return v;
  }

  /** A string from the schema's allowed values, typed as their union. */
  choice<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.string(name);
    const found = allowed.find((a) => a === v);
    if (found === undefined) throw this.#wrong(name, `one of ${allowed.join(', ')}`);
    return found;
  }

  strings(name: string): string[] {
    const v = this.#values[name];
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw this.#wrong(name, 'a list of strings');
    return [...v];
  }

  numbers(name: string): number[] {
    const v = this.#values[name];
    if (!Array.isArray(v) || !v.every((x): x is number => typeof x === 'number')) throw this.#wrong(name, 'a list of numbers');
    return [...v];
  }

  /** Three numbers (a point or a box corner). */
  triple(name: string): [number, number, number] {
    const v = this.numbers(name);
    const [x, y, z] = v;
    if (v.length !== 3 || x === undefined || y === undefined || z === undefined) throw this.#wrong(name, '3 numbers');
    return [x, y, z];
  }
}

/**
 * Keyed maps (ros2_controllers' `__map_` keys): one entry per key, each read from the parameters
 * under `<prefix>.<key>.` by `read`.
 */
export function keyedMap<T>(keys: readonly string[], read: (key: string) => T): ReadonlyMap<string, T> {
  return new Map(keys.map((k) => [k, read(k)]));
}

/** The entry for `key` in a keyed map, or a ParameterError naming the parameters that are missing. */
export function keyed<T>(map: ReadonlyMap<string, T>, key: string, prefix: string): T {
  const v = map.get(key);
  if (v === undefined) throw new ParameterError(`no ${prefix}.${key}.* parameters (known: ${[...map.keys()].join(', ')}).`);
  return v;
}
