/**
 * The PyTorch eager baseline of P3 as a process that stays up (tools/twinvla_tools/bench_torch.py
 * --serve): each `run()` asks it for one timed prediction. The benchmark alternates these with the
 * ONNX Runtime runs, so both sides see the same machine within a few seconds of each other; a
 * baseline timed in a separate phase would carry whatever load the machine had then.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

export class TorchServer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  #stderr = '';
  #exited: Error | null = null;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.resolve(line));
    child.stderr.on('data', (d: Buffer) => { this.#stderr = (this.#stderr + d.toString()).slice(-4000); });
    child.on('exit', (code, signal) => {
      this.#exited = new Error(`bench_torch --serve exited (${signal ?? `code ${code}`}): ${this.#stderr.trim().split('\n').slice(-5).join('\n')}`);
      for (const w of this.#waiting.splice(0)) w.reject(this.#exited);
    });
  }

  /** Starts the baseline on an exported model folder and waits for its warm-up; null without the Python tools. */
  static async create(root: string, dir: string, threads: number, warmup = 2): Promise<TorchServer | null> {
    const py = join(root, '.venv', 'bin', 'python');
    if (!existsSync(py)) return null;
    const child = spawn(py, ['-m', 'twinvla_tools.bench_torch', '--serve', '--model', dir, '--threads', String(threads), '--warmup', String(warmup)], {
      cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools') },
    });
    const server = new TorchServer(child);
    const first = await server.#next();
    if (first !== 'ready') throw new Error(`bench_torch --serve: expected "ready", got ${JSON.stringify(first)}`);
    return server;
  }

  /** One PyTorch prediction, timed inside the Python process (ms). */
  async run(): Promise<number> {
    const line = this.#next();
    this.#child.stdin.write('run\n');
    const ms = Number(await line);
    if (!Number.isFinite(ms)) throw new Error(`bench_torch --serve: expected milliseconds, got a line that is not a number`);
    return ms;
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const done = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    await done;
  }

  #next(): Promise<string> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }
}
