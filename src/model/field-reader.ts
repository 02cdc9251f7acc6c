/**
 * Walks a parsed YAML document by dotted path and collects every problem instead of stopping at the
 * first, so one run of the loader lists all that is wrong with a manifest. It remembers every path it
 * was asked for, so that afterwards a key nobody asked for (a typo, a field from another version) is
 * refused instead of ignored.
 */
import { closeMatch } from '../close-match.js';

export interface FieldProblem {
  field: string;
  expected: string;
  found: string;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

export class FieldReader {
  readonly problems: FieldProblem[] = [];
  /** Every path asked for, with its prefixes ('cameras.0.role', 'cameras.0', 'cameras'). */
  readonly #asked = new Set<string>();
  /** Paths read as a whole mapping of free names (stringMap): their keys are data, not fields. */
  readonly #free = new Set<string>();

  constructor(private readonly root: unknown) {}

  problem(field: string, expected: string, found: unknown): void {
    this.problems.push({ field, expected, found: describe(found) });
  }

  get(path: string): unknown {
    const keys = path.split('.');
    keys.forEach((_, i) => this.#asked.add(keys.slice(0, i + 1).join('.')));
    let node: unknown = this.root;
    for (const key of keys) {
      if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
      else if (node !== null && typeof node === 'object' && !Array.isArray(node)) node = (node as Record<string, unknown>)[key];
      else return undefined;
    }
    return node;
  }

  string(path: string): string {
    const v = this.get(path);
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(path, 'a non-empty string', v);
      return '';
    }
    return v;
  }

  /** One of a fixed list of strings, typed as that list's union (no cast at the call site); a problem
   * and the list's first value otherwise, so checking goes on. */
  oneOf<T extends string>(path: string, allowed: readonly [T, ...T[]]): T {
    const v = this.get(path);
    const found = allowed.find((a) => a === v);
    if (found === undefined) {
      this.problem(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v);
      return allowed[0];
    }
    return found;
  }

  number(path: string, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number {
    const v = this.get(path);
    const { min, max, integer = false, exclusiveMin = false } = opts;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) &&
      (min === undefined || (exclusiveMin ? v > min : v >= min)) && (max === undefined || v <= max);
    if (!ok) {
      const bounds = [min !== undefined ? `${exclusiveMin ? '>' : '>='} ${min}` : '', max !== undefined ? `<= ${max}` : '']
        .filter(Boolean).join(' and ');
      this.problem(path, `${integer ? 'an integer' : 'a finite number'}${bounds ? ` ${bounds}` : ''}`, v);
      return min ?? 0;
    }
    return v as number;
  }

  boolean(path: string): boolean {
    const v = this.get(path);
    if (typeof v !== 'boolean') {
      this.problem(path, 'true or false', v);
      return false;
    }
    return v;
  }

  list(path: string, minLength = 1): unknown[] {
    const v = this.get(path);
    if (!Array.isArray(v) || v.length < minLength) {
      this.problem(path, `a list of at least ${minLength}`, v);
      return [];
    }
    return v;
  }

  numbers(path: string, length: number): number[] {
    const v = this.get(path);
    if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      this.problem(path, `a list of ${length} finite numbers`, v);
      return new Array<number>(length).fill(0);
    }
    return v as number[];
  }

  booleans(path: string, length: number): boolean[] {
    const v = this.get(path);
    if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'boolean')) {
      this.problem(path, `a list of ${length} booleans`, v);
      return new Array<boolean>(length).fill(false);
    }
    return v as boolean[];
  }

  strings(path: string, minLength = 1): string[] {
    const v = this.get(path);
    if (!Array.isArray(v) || v.length < minLength || !v.every((x) => typeof x === 'string' && x.length > 0)) {
      this.problem(path, `a list of at least ${minLength} non-empty strings`, v);
      return [];
    }
    return v as string[];
  }

  stringMap(path: string): Record<string, string> {
    const v = this.get(path);
    this.#free.add(path);
    if (v === null || typeof v !== 'object' || Array.isArray(v) ||
        !Object.values(v as object).every((x) => typeof x === 'string')) {
      this.problem(path, 'a mapping of names to names', v);
      return {};
    }
    return { ...(v as Record<string, string>) };
  }

  /** A mapping whose keys are data the caller checks (ONNX Runtime's dotted entry names), not fields:
   * unknownKeys leaves them alone. A problem and null when it is not a mapping. */
  keyedData(path: string): Record<string, unknown> | null {
    const v = this.get(path);
    this.#free.add(path);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.problem(path, 'a mapping', v);
      return null;
    }
    return v as Record<string, unknown>;
  }

  /**
   * A problem for every key of the document that no read asked for. `alsoKnown`: dotted paths, `*`
   * for any list index, accepted with everything under them though nothing reads them (fields kept
   * for people and other tools: provenance, documentation of what the graph does inside).
   */
  unknownKeys(alsoKnown: readonly string[]): void {
    const accepted = new Set(alsoKnown);
    const known = new Map<string, Set<string>>(); // parent pattern -> the key names known there
    const add = (pattern: string): void => {
      const at = pattern.lastIndexOf('.');
      const parent = at < 0 ? '' : pattern.slice(0, at);
      if (!known.has(parent)) known.set(parent, new Set());
      known.get(parent)?.add(pattern.slice(at + 1));
    };
    for (const path of this.#asked) add(path.replace(/(^|\.)\d+(?=\.|$)/g, '$1*'));
    alsoKnown.forEach(add);
    const walk = (node: unknown, path: string, pattern: string): void => {
      if (this.#free.has(path)) return;
      if (Array.isArray(node)) {
        node.forEach((v, i) => walk(v, path ? `${path}.${i}` : String(i), pattern ? `${pattern}.*` : '*'));
      } else if (node !== null && typeof node === 'object') {
        for (const [key, v] of Object.entries(node as Record<string, unknown>)) {
          const child = path ? `${path}.${key}` : key;
          const childPattern = pattern ? `${pattern}.${key}` : key;
          if (accepted.has(childPattern)) continue;
          if (this.#asked.has(child)) {
            walk(v, child, childPattern);
            continue;
          }
          const names = [...(known.get(pattern) ?? [])];
          const match = closeMatch(key, names);
          this.problems.push({
            field: child,
            expected: names.length > 0 ? `one of the known keys here (${names.join(', ')})` : 'no keys here',
            found: `the unknown key ${JSON.stringify(key)}${match ? ` (did you mean ${match}?)` : ''}`,
          });
        }
      }
    };
    walk(this.root, '', '');
  }
}
