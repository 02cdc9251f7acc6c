/**
 * A TF buffer fed by tf2_msgs/TFMessage from /tf and /tf_static: frames chained through their
 * parents, dynamic transforms interpolated in time (lerp for translation, slerp for rotation), static
 * ones valid at every time. Like tf2 it refuses to extrapolate: a stamp newer than the data (a stamp
 * from the future) or older than the cache is an error, as are unknown frames and loops.
 */
import { InputError } from '../errors.js';
import { compose, invert, IDENTITY, lerpVec, quatNormalize, slerp, type Quat, type Transform, type Vec3 } from '../geometry.js';
import type { TFMessage } from '../messages.js';
import { formatTime, secondsBetween, secondsToNs, stampToNs } from '../time.js';

interface Sample {
  /** Nanoseconds. */
  time: bigint;
  tf: Transform;
}

interface Edge {
  parent: string;
  isStatic: boolean;
  samples: Sample[]; // time-ordered; one entry for a static edge
}

export interface TfBufferOptions {
  /** Seconds of dynamic history kept per frame (tf2's default is 10). */
  cacheSeconds?: number;
}

export class TfBuffer {
  readonly #edges = new Map<string, Edge>();
  readonly #cacheSeconds: number;
  /** Nanoseconds; null keeps everything. */
  readonly #cache: bigint | null;

  constructor({ cacheSeconds = 10 }: TfBufferOptions = {}) {
    this.#cacheSeconds = cacheSeconds;
    this.#cache = Number.isFinite(cacheSeconds) ? secondsToNs(cacheSeconds) : null;
  }

  frames(): string[] {
    const all = new Set<string>();
    for (const [child, e] of this.#edges) { all.add(child); all.add(e.parent); }
    return [...all].sort();
  }

  /**
   * `topic` only names the source in messages. A bad transform is refused before any of the message
   * is stored: one that would close a loop in the tree, and, given the clock (`now`), a dynamic one
   * stamped more than `futureTolerance` seconds ahead of it (kept, it would become the latest time
   * and push every real sample out of the cache).
   */
  add(msg: TFMessage, isStatic: boolean, topic: string, { now, futureTolerance = 1 }: { now?: bigint; futureTolerance?: number } = {}): void {
    const parsed = (msg.transforms ?? []).map((ts, i) => {
      const child = ts.child_frame_id?.replace(/^\//, '') ?? '';
      const parent = ts.header?.frame_id?.replace(/^\//, '') ?? '';
      const { translation: tr, rotation: r } = ts.transform;
      const t: Vec3 = [tr.x, tr.y, tr.z];
      const q: Quat = [r.x, r.y, r.z, r.w];
      const where = `${topic}: transform ${i} (${parent || '?'} -> ${child || '?'})`;
      if (!child || !parent) throw new InputError(`${where}: frame ids must not be empty.`);
      if (child === parent) throw new InputError(`${where}: a frame cannot be its own parent.`);
      if (![...t, ...q].every(Number.isFinite)) throw new InputError(`${where}: translation or rotation is not finite.`);
      const n = Math.hypot(...q);
      if (Math.abs(n - 1) > 1e-2) throw new InputError(`${where}: rotation quaternion has norm ${n.toFixed(4)}, expected 1.`);
      return { child, parent, sample: { time: stampToNs(ts.header.stamp), tf: { t, q: quatNormalize(q) } } };
    });
    const ahead = now === undefined || isStatic ? undefined : parsed.find((p) => secondsBetween(p.sample.time, now) > futureTolerance);
    if (ahead && now !== undefined) {
      throw new InputError(`${topic}: transform ${ahead.parent} -> ${ahead.child} is stamped ${formatTime(ahead.sample.time)}, ${secondsBetween(ahead.sample.time, now).toFixed(3)} s ahead of the clock (${formatTime(now)}); the message is refused (check the publisher's clock, use_sim_time, NTP/PTP).`);
    }
    // The parents the tree would have with this message applied: a chain from a parent back to its
    // own child is a loop, refused before anything is stored.
    const parentOf = new Map([...this.#edges].map(([c, e]) => [c, e.parent]));
    for (const { child, parent } of parsed) parentOf.set(child, parent);
    for (const { child, parent } of parsed) {
      const chain = [child, parent];
      for (let f = parentOf.get(parent); f !== undefined; f = parentOf.get(f)) {
        chain.push(f);
        if (f === child) throw new InputError(`${topic}: transform ${parent} -> ${child} would close a loop in the frame tree (${chain.join(' -> ')}); the message is refused and the tree kept as it was.`);
        if (chain.length > parentOf.size + 2) break;
      }
    }
    for (const { child, parent, sample } of parsed) this.#insert(child, parent, isStatic, sample);
  }

  #insert(child: string, parent: string, isStatic: boolean, sample: Sample): void {
    let e = this.#edges.get(child);
    if (!e || e.parent !== parent || e.isStatic !== isStatic) {
      // A re-parented frame starts a new history, as tf2 does.
      e = { parent, isStatic, samples: [] };
      this.#edges.set(child, e);
    }
    if (isStatic) {
      e.samples = [sample];
      return;
    }
    const s = e.samples;
    let i = s.length;
    while (i > 0 && (s[i - 1] as Sample).time > sample.time) i--;
    if (i > 0 && (s[i - 1] as Sample).time === sample.time) s[i - 1] = sample;
    else s.splice(i, 0, sample);
    if (this.#cache === null) return;
    const oldest = (s[s.length - 1] as Sample).time - this.#cache;
    let drop = 0;
    while (drop < s.length - 1 && (s[drop] as Sample).time < oldest) drop++;
    if (drop > 0) s.splice(0, drop);
  }

  /** Frames from `frame` up to its root; throws on an unknown frame or a loop. */
  #chain(frame: string): string[] {
    const chain = [frame];
    const seen = new Set([frame]);
    let cur = frame;
    for (let e = this.#edges.get(cur); e; e = this.#edges.get(cur)) {
      cur = e.parent;
      if (seen.has(cur)) throw new InputError(`TF: loop in the frame tree: ${[...chain, cur].join(' -> ')}; a publisher is sending a transform that closes a cycle.`);
      seen.add(cur);
      chain.push(cur);
    }
    return chain;
  }

  /**
   * The nearest frame that every one of `frames` hangs from (itself when they are all one frame), or
   * null when the tree does not join them (yet): where a viewer can place things given in all of them.
   */
  commonAncestor(frames: readonly string[]): string | null {
    if (frames.length === 0) return null;
    try {
      const chains = frames.map((f) => this.#chain(f));
      const others = chains.slice(1).map((c) => new Set(c));
      return (chains[0] as string[]).find((f) => others.every((c) => c.has(f))) ?? null;
    } catch {
      return null;
    }
  }

  #edgeAt(child: string, time: bigint, query: string): Transform {
    const e = this.#edges.get(child) as Edge;
    if (e.isStatic) return (e.samples[0] as Sample).tf;
    const s = e.samples;
    const first = s[0] as Sample, last = s[s.length - 1] as Sample;
    if (time > last.time) {
      throw new InputError(`TF: ${query}: the latest ${e.parent} -> ${child} transform is at ${formatTime(last.time)}, ${(secondsBetween(time, last.time) * 1e3).toFixed(1)} ms before the requested time ${formatTime(time)} (extrapolation into the future).`);
    }
    if (time < first.time) {
      throw new InputError(`TF: ${query}: the oldest ${e.parent} -> ${child} transform is at ${formatTime(first.time)}, after the requested time ${formatTime(time)} (extrapolation into the past; the cache keeps ${this.#cacheSeconds} s).`);
    }
    // Binary search for the first sample at or after `time` (histories hold hundreds of samples).
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] as Sample).time >= time) hi = mid; else lo = mid + 1;
    }
    if (hi === 0) return first.tf;
    const a = s[hi - 1] as Sample, b = s[hi] as Sample;
    if (b.time === time) return b.tf;
    const u = Number(time - a.time) / Number(b.time - a.time);
    return { t: lerpVec(a.tf.t, b.tf.t, u), q: slerp(a.tf.q, b.tf.q, u) };
  }

  /**
   * The transform mapping points in `source` into `target`, at `time` (nanoseconds) or at the latest
   * time every link of the chain has data for ('latest'), with the time it is valid at (null when
   * every link is static: valid at every time).
   */
  lookup(target: string, source: string, time: bigint | 'latest'): { transform: Transform; stamp: bigint | null } {
    const query = `${source} -> ${target}`;
    const known = this.frames();
    for (const f of [target, source]) {
      if (!known.includes(f)) {
        throw new InputError(`TF: ${query}: unknown frame ${f} (${known.length ? `known frames: ${known.join(', ')}` : 'no transform received yet on /tf or /tf_static'}).`);
      }
    }
    const up = this.#chain(source);
    const down = this.#chain(target);
    const common = up.find((f) => down.includes(f));
    if (common === undefined) {
      throw new InputError(`TF: ${query}: the frames are not connected (${source}'s tree has root ${up[up.length - 1]}, ${target}'s has root ${down[down.length - 1]}).`);
    }
    const srcLinks = up.slice(0, up.indexOf(common));
    const tgtLinks = down.slice(0, down.indexOf(common));
    let at: bigint | null = time === 'latest' ? null : time;
    if (time === 'latest') {
      for (const child of [...srcLinks, ...tgtLinks]) {
        const e = this.#edges.get(child) as Edge;
        const newest = (e.samples[e.samples.length - 1] as Sample).time;
        if (!e.isStatic && (at === null || newest < at)) at = newest;
      }
    }
    // Static links ignore the time; with no dynamic link there is no time to ask for.
    const when = at ?? 0n;
    // common <- source: compose links from the common frame down to the source.
    let commonFromSource: Transform = IDENTITY;
    for (let i = srcLinks.length - 1; i >= 0; i--) commonFromSource = compose(commonFromSource, this.#edgeAt(srcLinks[i] as string, when, query));
    let commonFromTarget: Transform = IDENTITY;
    for (let i = tgtLinks.length - 1; i >= 0; i--) commonFromTarget = compose(commonFromTarget, this.#edgeAt(tgtLinks[i] as string, when, query));
    return { transform: compose(invert(commonFromTarget), commonFromSource), stamp: at };
  }
}
