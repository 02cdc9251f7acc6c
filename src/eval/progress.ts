/** Replay progress: a bar with rate and ETA on a terminal, a plain line every 10 % otherwise. */
export class Progress {
  readonly #tty: boolean;
  readonly #write: (s: string) => void;
  readonly #wallStart = performance.now();
  #lastDecile = -1;
  #lastDraw = 0;

  constructor(readonly start: number, readonly end: number, { tty = Boolean(process.stderr.isTTY), write = (s: string) => { process.stderr.write(s); } } = {}) {
    this.#tty = tty;
    this.#write = write;
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
      const width = 30;
      const filled = Math.round(done * width);
      this.#write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(done * 100).toFixed(0).padStart(3)}%  ${(time - this.start).toFixed(1)}/${span.toFixed(1)} s  ${rate.toFixed(1)}x real time  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '?'}  `);
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
