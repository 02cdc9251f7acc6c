/**
 * Replay progress: on a terminal one line redrawn in place (a bar with rate and ETA, as wide as the
 * terminal and never wider, so that it never wraps: a wrapped line cannot be redrawn and would print
 * a new line per redraw); elsewhere a plain line every 10 %.
 */
export interface ProgressOptions {
  tty?: boolean;
  write?: (s: string) => void;
  /** Terminal width; default the terminal's current width (read at each redraw), else 80. */
  columns?: number;
}

/** The bar's line for `done` (0..1) within `columns - 1` characters: parts dropped from the right as the width shrinks. */
export function progressLine(done: number, elapsed: number, span: number, rate: number, eta: number, columns: number): string {
  const max = Math.max(columns - 1, 10);
  const percent = `${(done * 100).toFixed(0).padStart(3)}%`;
  const parts = [
    `${elapsed.toFixed(1)}/${span.toFixed(1)} s`,
    `${rate.toFixed(1)}x real time`,
    `ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '?'}`,
  ];
  const MIN_BAR = 10;
  let tail = parts;
  const text = (): string => [percent, ...tail].join('  ');
  while (tail.length > 0 && text().length + MIN_BAR + 3 > max) tail = tail.length === 3 ? [parts[0] as string, parts[2] as string] : tail.slice(0, -1);
  const room = max - text().length - 3;
  if (room < 4) return percent.slice(0, max);
  const width = Math.min(room, 50);
  const filled = Math.round(done * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text()}`;
}

export class Progress {
  readonly #tty: boolean;
  readonly #write: (s: string) => void;
  readonly #columns: number | undefined;
  readonly #wallStart = performance.now();
  #lastDecile = -1;
  #lastDraw = 0;
  #drawn = 0;

  constructor(readonly start: number, readonly end: number, { tty = Boolean(process.stderr.isTTY), write = (s: string) => { process.stderr.write(s); }, columns }: ProgressOptions = {}) {
    this.#tty = tty;
    this.#write = write;
    this.#columns = columns;
  }

  update(time: number): void {
    const span = Math.max(this.end - this.start, 1e-9);
    const done = Math.min(1, Math.max(0, (time - this.start) / span));
    const wall = (performance.now() - this.#wallStart) / 1e3;
    const rate = wall > 0 ? (time - this.start) / wall : 0;
    const eta = rate > 0 ? (this.end - time) / rate : Infinity;
    if (this.#tty) {
      const now = performance.now();
      if (now - this.#lastDraw < 100 && done < 1) return;
      this.#lastDraw = now;
      const columns = this.#columns ?? process.stderr.columns ?? 80;
      const line = progressLine(done, time - this.start, span, rate, eta, columns);
      // Blanks over what is left of a longer previous line (the terminal may have narrowed).
      this.#write(`\r${line.padEnd(Math.min(this.#drawn, Math.max(columns - 1, 10)))}`);
      this.#drawn = line.length;
    } else {
      const decile = Math.floor(done * 10);
      if (decile === this.#lastDecile) return;
      this.#lastDecile = decile;
      this.#write(`replay ${decile * 10}%: ${(time - this.start).toFixed(1)} of ${span.toFixed(1)} s, ${rate.toFixed(1)}x real time\n`);
    }
  }

  finish(): void {
    if (this.#tty) this.#write('\n');
  }
}
