/**
 * Episodes of a recording, found as a person finds them: a pause in the recording (no message for
 * longer than `gapSeconds`, the scene being reset) or a new instruction starts one. Each episode
 * keeps its own errors per arm (for the per-episode table of metrics.json and report.html), thinned
 * plot series and a few camera frames, so that a report of 50 episodes shows 50 readable plots.
 */
import { secondsBetween } from '../time.js';
import { Decimator, Samples, stat, type ScoredSample, type Stat } from './metrics.js';

export interface EpisodeArmMetrics {
  position_error_mm: Stat;
  rotation_error_deg: Stat;
  hold_baseline_position_error_mm: Stat;
  gripper_agreement: number | null;
}

export interface EpisodeMetrics {
  index: number;
  instruction: string | null;
  /** Seconds from the bag's first message. */
  start_s: number;
  duration_s: number;
  arms: Record<string, EpisodeArmMetrics>;
}

/** What the report draws of one arm in one episode, thinned to a few hundred points. */
export interface EpisodePlot {
  points: ScoredSample[];
}

export interface EpisodeDetail {
  metrics: EpisodeMetrics;
  /** The episode's first message, on the replay's clock (the samples' times). */
  start: bigint;
  plots: Map<string, EpisodePlot>;
  frames: Promise<string | null>[];
}

const R = (v: number, digits = 3): number => Number(v.toFixed(digits));

class ArmPart {
  readonly pos = new Samples();
  readonly rot = new Samples();
  readonly hold = new Samples();
  readonly plot: Decimator<ScoredSample>;
  agree = 0;
  compared = 0;
  constructor(plotPoints: number) { this.plot = new Decimator<ScoredSample>(plotPoints); }
}

interface Episode {
  start: bigint;
  last: bigint;
  instruction: string | null;
  arms: Map<string, ArmPart>;
  frames: Decimator<{ time: bigint; image: Promise<string | null> }>;
  lastFrame: bigint | null;
}

export interface EpisodeOptions {
  /** A pause in the recording longer than this (s) starts an episode. */
  gapSeconds?: number;
  /** Points kept per arm and episode for the plots. */
  plotPoints?: number;
  /** Camera frames kept per episode (evenly spread), and the least time between two. */
  frames?: number;
  frameEvery?: number;
  gripperThreshold?: number;
}

/** Stands for a frame the decimator drops on push (it is never read). */
const DROPPED: Promise<string | null> = Promise.resolve(null);

export class Episodes {
  readonly #arms: readonly string[];
  readonly #gap: number;
  readonly #plotPoints: number;
  readonly #frames: number;
  readonly #frameEvery: number;
  readonly #threshold: number;
  readonly #list: Episode[] = [];
  #lastInput: bigint | null = null;

  constructor(readonly bagStart: bigint, arms: readonly string[], { gapSeconds = 1, plotPoints = 300, frames = 4, frameEvery = 0.5, gripperThreshold = 0.5 }: EpisodeOptions = {}) {
    this.#arms = arms;
    this.#gap = gapSeconds;
    this.#plotPoints = plotPoints;
    this.#frames = frames;
    this.#frameEvery = frameEvery;
    this.#threshold = gripperThreshold;
  }

  #open(time: bigint, instruction: string | null): Episode {
    const e: Episode = {
      start: time, last: time, instruction,
      arms: new Map(this.#arms.map((a) => [a, new ArmPart(this.#plotPoints)])),
      frames: new Decimator(this.#frames * 4), lastFrame: null,
    };
    this.#list.push(e);
    return e;
  }

  /** Every replayed input, in time order; `instruction` when it is an instruction message. */
  input(time: bigint, instruction?: string): void {
    let cur = this.#list[this.#list.length - 1];
    if (!cur || this.#lastInput === null || secondsBetween(time, this.#lastInput) > this.#gap) cur = this.#open(time, null);
    this.#lastInput = time;
    cur.last = time;
    if (instruction !== undefined && instruction !== '' && instruction !== cur.instruction) {
      if (cur.instruction === null) cur.instruction = instruction;
      else this.#open(time, instruction);
    }
  }

  /** A camera frame at `time`: kept (as a thumbnail made by `make`) when the episode wants one. */
  frame(time: bigint, make: () => Promise<string | null>): void {
    const cur = this.#list[this.#list.length - 1];
    if (!cur || (cur.lastFrame !== null && secondsBetween(time, cur.lastFrame) < this.#frameEvery)) return;
    cur.lastFrame = time;
    // A frame the decimator drops is never drawn: over an hour of replay, thumbnails (a JPEG
    // encode each) are made for a few dozen frames, not for one every frameEvery.
    if (!cur.frames.wants()) {
      cur.frames.push({ time, image: DROPPED });
      return;
    }
    cur.frames.push({ time, image: make().catch(() => null) });
  }

  #at(time: bigint): Episode | undefined {
    for (let i = this.#list.length - 1; i >= 0; i--) if ((this.#list[i] as Episode).start <= time) return this.#list[i];
    return this.#list[0];
  }

  scored(arm: string, s: ScoredSample): void {
    const part = this.#at(s.time)?.arms.get(arm);
    if (!part) return;
    part.pos.push(s.positionMm);
    part.rot.push(s.rotationDeg);
    if (s.holdMm !== null) part.hold.push(s.holdMm);
    if (s.gripper !== null && s.truthGripper !== null) {
      part.compared++;
      if (s.gripper > this.#threshold === s.truthGripper > this.#threshold) part.agree++;
    }
    part.plot.push(s);
  }

  /** The episodes, numbered from 1; those in which nothing was scored are left out. */
  finish(): EpisodeDetail[] {
    const out: EpisodeDetail[] = [];
    let instruction: string | null = null;
    for (const e of this.#list) {
      instruction = e.instruction ?? instruction;
      if (![...e.arms.values()].some((a) => a.pos.length > 0)) continue;
      const arms: Record<string, EpisodeArmMetrics> = {};
      const plots = new Map<string, EpisodePlot>();
      for (const [name, a] of e.arms) {
        arms[name] = {
          position_error_mm: stat(a.pos.values), rotation_error_deg: stat(a.rot.values),
          hold_baseline_position_error_mm: stat(a.hold.values), gripper_agreement: a.compared > 0 ? R(a.agree / a.compared, 4) : null,
        };
        plots.set(name, { points: a.plot.points });
      }
      const frames = e.frames.points;
      const pick = frames.length <= this.#frames ? frames : Array.from({ length: this.#frames }, (_, i) => frames[Math.round((i * (frames.length - 1)) / (this.#frames - 1))] as (typeof frames)[number]);
      out.push({
        metrics: { index: out.length + 1, instruction, start_s: R(secondsBetween(e.start, this.bagStart)), duration_s: R(secondsBetween(e.last, e.start)), arms },
        start: e.start, plots, frames: pick.map((f) => f.image),
      });
    }
    return out;
  }
}
