/**
 * What the evaluation scores, fed by the replay: every bag message goes to the ground truth; every
 * message the nodes publish is tapped: ActionChunks (horizon errors, observation-to-chunk delay) and
 * each executor's target and gripper command, paired per tick, against the ground truth.
 */
import { ARMS, executorNodeName } from '../config/layout.js';
import { keyed } from '../config/reader.js';
import { resolveTopic } from '../graph/port.js';
import type { ActionChunkMsg, Float64, PoseStamped } from '../messages.js';
import { armChunkFrom } from '../node/chunk-message.js';
import { secondsBetween, secondsToNs, stampToNs } from '../time.js';
import type { EvalSetup } from './eval-setup.js';
import { GroundTruth } from './ground-truth.js';
import { Episodes } from './episodes.js';
import { ArmAccumulator, Samples, type ArmMetrics, type ChunkRecord, type RawArmErrors } from './metrics.js';

/** Ground truth kept behind the replay: enough for any chunk's horizon and any inference latency. */
export const HISTORY_SECONDS = 30;
const HISTORY_NS = secondsToNs(HISTORY_SECONDS);

export class EvalScoring {
  readonly truth: GroundTruth;
  /** Episodes found from pauses in the recording and instruction changes, each scored on its own. */
  readonly episodes: Episodes;
  readonly #accumulators: Map<string, ArmAccumulator>;
  readonly #targetTopics: Map<string, string>;
  readonly #gripperTopics: Map<string, string>;
  /** The executor publishes the pose, then the gripper, in one tick: the pair is completed here. */
  readonly #pendingPose = new Map<string, { time: bigint; pose: PoseStamped['pose'] }>();
  #latestChunkStamp: bigint | null = null;
  #lastPrune: bigint | null = null;
  chunkCount = 0;
  readonly observationToChunk = new Samples();

  constructor(setup: EvalSetup, bagStart: bigint) {
    this.truth = new GroundTruth(ARMS.map((a) => {
      const { targetTopic, gripperTopic } = keyed(setup.eval.groundTruth, a, 'ground_truth');
      const frames = keyed(setup.frames, a, 'arms');
      return { name: a, baseFrame: frames.base, eeFrame: frames.ee, targetTopic, gripperTopic, gripper: keyed(setup.policy.arms, a, 'arms').gripper };
    }), { historySeconds: HISTORY_SECONDS });
    const threshold = setup.eval.gripperThreshold;
    this.#accumulators = new Map(ARMS.map((a) => [a, new ArmAccumulator(a, this.truth, threshold)]));
    this.episodes = new Episodes(bagStart, ARMS, { gripperThreshold: threshold });
    for (const [arm, acc] of this.#accumulators) acc.onScored = (s) => this.episodes.scored(arm, s);
    const executorTopic = (a: string, topic: string): [string, string] => [resolveTopic(topic, `/${executorNodeName(a)}`), a];
    this.#targetTopics = new Map(ARMS.map((a) => executorTopic(a, keyed(setup.executors, a, 'executor').targetTopic)));
    this.#gripperTopics = new Map(ARMS.map((a) => executorTopic(a, keyed(setup.executors, a, 'executor').gripperTopic)));
  }

  #flush(arm: string, gripper: number | null): void {
    const p = this.#pendingPose.get(arm);
    if (!p) return;
    this.#pendingPose.delete(arm);
    const { position: x, orientation: q } = p.pose;
    this.#accumulators.get(arm)?.addExecuted({ time: p.time, pose: { t: [x.x, x.y, x.z], q: [q.x, q.y, q.z, q.w] }, gripper }, this.#latestChunkStamp);
  }

  /** A message the nodes published (a replay bus tap). */
  onPublished(topic: string, type: string, time: bigint, msg: unknown): void {
    if (type === 'twinvla/msg/ActionChunk') {
      const m = msg as ActionChunkMsg;
      const record: ChunkRecord = { published: time, stamp: stampToNs(m.header.stamp), dt: m.dt, arms: new Map(ARMS.map((a) => [a, armChunkFrom(m, a)?.chunk ?? { poses: [], gripper: null }])) };
      this.chunkCount++;
      this.#latestChunkStamp = record.stamp;
      this.observationToChunk.push(secondsBetween(record.published, record.stamp) * 1e3);
      for (const acc of this.#accumulators.values()) acc.addChunk(record);
    }
    const arm = this.#targetTopics.get(topic);
    if (arm) {
      this.#flush(arm, null);
      this.#pendingPose.set(arm, { time, pose: (msg as PoseStamped).pose });
    }
    const gArm = this.#gripperTopics.get(topic);
    if (gArm && this.#pendingPose.get(gArm)?.time === time) this.#flush(gArm, (msg as Float64).data);
  }

  /** The replay's clock reached `t` (after each message). */
  onTime(t: bigint): void {
    for (const arm of ARMS) this.#flush(arm, null);
    for (const acc of this.#accumulators.values()) acc.advance(t);
    if (this.#lastPrune === null || t - this.#lastPrune > 1_000_000_000n) {
      this.truth.prune(t - HISTORY_NS);
      this.#lastPrune = t;
    }
  }

  /** Each arm's metrics, and the scored errors themselves (for combining several bags exactly). */
  finish(): { arms: Record<string, ArmMetrics>; raw: Record<string, RawArmErrors> } {
    for (const arm of ARMS) this.#flush(arm, null);
    const arms: Record<string, ArmMetrics> = {};
    const raw: Record<string, RawArmErrors> = {};
    for (const [arm, acc] of this.#accumulators) { arms[arm] = acc.finish(); raw[arm] = acc.raw(); }
    return { arms, raw };
  }
}
