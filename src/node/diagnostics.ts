/** Building diagnostic_msgs/DiagnosticArray, and the small statistics the nodes report. */
import type { DiagnosticArray, KeyValue } from '../messages.js';
import { nsToStamp, secondsBetween } from '../time.js';

export const OK = 0, WARN = 1, ERROR = 2;

export function diagnosticArray(now: bigint, name: string, level: number, message: string, values: Record<string, string | number>): DiagnosticArray {
  const kv: KeyValue[] = Object.entries(values).map(([key, v]) => ({ key, value: typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v }));
  return { header: { stamp: nsToStamp(now), frame_id: '' }, status: [{ level, name, message, hardware_id: 'twinvla', values: kv }] };
}

/** A bounded window of recent samples, for p50/p95. */
export class Window {
  readonly #values: number[] = [];
  constructor(readonly size = 200) {}
  push(v: number): void {
    this.#values.push(v);
    if (this.#values.length > this.size) this.#values.shift();
  }
  quantile(q: number): number {
    if (this.#values.length === 0) return NaN;
    const s = [...this.#values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] as number;
  }
  get count(): number { return this.#values.length; }
}

/** Message counts per input between two diagnostics, for rates. */
export class RateCounter {
  readonly #counts = new Map<string, number>();
  #since: bigint | null = null;
  tick(name: string): void { this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1); }
  /** Rates since the last call, in Hz; resets the window. */
  take(now: bigint): Map<string, number> {
    const span = this.#since === null ? 0 : secondsBetween(now, this.#since);
    const out = new Map<string, number>();
    for (const [k, n] of this.#counts) out.set(k, span > 0 ? n / span : 0);
    this.#counts.clear();
    for (const k of out.keys()) this.#counts.set(k, 0);
    this.#since = now;
    return out;
  }
}
