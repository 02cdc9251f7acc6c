/**
 * One camera's latest frame, decoded and resized as it arrives, so that a snapshot finds the model
 * image ready and the inference path only takes a reference to it.
 *
 * Decoding runs in sharp's thread pool (libvips, off the JavaScript thread). A frame is decoded at
 * most once, and only the newest is: frames that arrive while a decode is in flight wait, and a newer
 * arrival replaces a waiting one, which is then never decoded (a 30 Hz camera feeding a 3 Hz policy
 * costs at most one decode per frame, and never a queue). A snapshot asking for a frame that is not
 * decoded yet starts or awaits that frame's own decode, so what a snapshot sees is exactly the
 * latest frame, as when decoding happened at snapshot time: freshness is judged on the same stamps.
 *
 * `arrival: false` decodes a frame only when a snapshot first asks for it (still once): for replays
 * at a fixed simulated latency, where no wall clock waits on the decode and frames that no snapshot
 * uses would be decoded for nothing.
 */
import { InternalError } from '../errors.js';
import type { CompressedImage, Image } from '../messages.js';
import type { CameraPreprocessor, ModelImage } from './camera-preprocessor.js';

export type CameraMessage = { kind: 'raw'; msg: Image } | { kind: 'compressed'; msg: CompressedImage };

class Frame {
  readonly message: CameraMessage;
  #result: Promise<ModelImage> | null = null;

  constructor(message: CameraMessage) {
    this.message = message;
  }

  get started(): boolean {
    return this.#result !== null;
  }

  /** Starts the decode once; later calls return the same promise. */
  decode(pre: CameraPreprocessor, source: string): Promise<ModelImage> {
    if (!this.#result) {
      const m = this.message;
      this.#result = m.kind === 'raw' ? pre.fromImage(m.msg, source) : pre.fromCompressed(m.msg, source);
      // A frame replaced before any snapshot asked for it may fail unobserved: that is not an error
      // of the process (the snapshot that asks for it still sees the rejection).
      this.#result.catch(() => undefined);
    }
    return this.#result;
  }
}

export class CameraFeed {
  readonly pre: CameraPreprocessor;
  readonly topic: string;
  /** Names the input in messages, for example "camera head (/cam_high/image_raw)". */
  readonly input: string;
  readonly #arrival: boolean;
  #latest: Frame | null = null;
  #inFlight = 0;
  #decoded = 0;
  #received = 0;

  constructor(pre: CameraPreprocessor, role: string, topic: string, { arrival = true }: { arrival?: boolean } = {}) {
    this.#arrival = arrival;
    this.pre = pre;
    this.topic = topic;
    this.input = `camera ${role} (${topic})`;
  }

  /** The newest message, or null before the first. */
  get latest(): CameraMessage | null {
    return this.#latest?.message ?? null;
  }

  /** Frames received and frames decoded so far (decoded <= received: skipped frames cost nothing). */
  get counts(): { received: number; decoded: number } {
    return { received: this.#received, decoded: this.#decoded };
  }

  push(message: CameraMessage): void {
    this.#latest = new Frame(message);
    this.#received++;
    if (this.#arrival && this.#inFlight === 0) this.#start(this.#latest);
  }

  /** The model image of the newest frame: ready at once when it was decoded on arrival. */
  image(): Promise<ModelImage> {
    const frame = this.#latest;
    if (!frame) throw new InternalError(`${this.input}: image() before any frame; check latest first`);
    return frame.started ? frame.decode(this.pre, this.input) : this.#start(frame);
  }

  #start(frame: Frame): Promise<ModelImage> {
    this.#inFlight++;
    this.#decoded++;
    const result = frame.decode(this.pre, this.input);
    const next = (): void => {
      this.#inFlight--;
      // The newest frame, if it arrived meanwhile and nobody started it: one decode, not a queue.
      const latest = this.#latest;
      if (this.#arrival && this.#inFlight === 0 && latest && !latest.started) this.#start(latest);
    };
    result.then(next, next);
    return result;
  }
}
