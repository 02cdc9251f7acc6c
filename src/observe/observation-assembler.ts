/**
 * Everything the policy observes, kept as the latest message per input and turned into a model
 * Observation on demand: images decoded and resized as they arrive (src/observe/camera-feed.ts: off
 * the inference path, the newest frame only), poses from TF or pose topics, grippers from joint
 * states, the instruction; each checked for freshness when the snapshot is taken.
 */
import { InputError, ParameterError } from '../errors.js';
import type { CompressedImage, Image, JointState, PoseStamped, TFMessage } from '../messages.js';
import type { Manifest } from '../model/manifest.js';
import type { Observation } from '../model/policy.js';
import { stampToNs } from '../time.js';
import { CameraFeed } from './camera-feed.js';
import { CameraPreprocessor } from './camera-preprocessor.js';
import { EndEffectorTracker, type PoseSource } from './end-effector.js';
import { Instruction } from './instruction.js';
import { gripperToModel, type GripperMapping } from '../gripper.js';
import { JointStateBuffer } from './joint-states.js';
import { checkFreshness, SnapshotRefused, type Freshness, type InputStamp } from './snapshot.js';
import { encodeState, type ArmState } from './state-encoder.js';
import { TfBuffer } from './tf-buffer.js';

export interface ArmObserveConfig {
  name: string;
  pose: PoseSource;
  jointTopic: string;
  /** Joints of this arm in the model's order (checked present and finite with every snapshot). */
  joints: string[];
  gripper: GripperMapping | null;
  /** Metres from the base frame's origin beyond which a measured position is absurd and refused;
   * default: no bound. */
  maxReach?: number;
}

export interface ObserveConfig {
  cameras: { role: string; topic: string }[];
  arms: ArmObserveConfig[];
  instruction?: string;
  /** Seconds an input may age before a snapshot is refused. */
  maxAge: { camera: number; joints: number; pose: number };
  /** Seconds a stamp may lie ahead of the clock (clock skew between machines). */
  futureTolerance: number;
  tfCacheSeconds?: number;
  /** When camera frames are decoded: as they arrive (default; off the inference path), or when a
   * snapshot first uses them (replays at a fixed simulated latency, where no wall clock waits). */
  decode?: 'arrival' | 'snapshot';
}

export interface Snapshot extends Freshness {
  observation: Observation;
}

export class ObservationAssembler {
  readonly tf: TfBuffer;
  readonly instruction: Instruction;
  readonly #manifest: Manifest;
  #config: ObserveConfig;
  readonly #cameras = new Map<string, CameraFeed>();
  readonly #joints = new Map<string, JointStateBuffer>();
  readonly #arms = new Map<string, { cfg: ArmObserveConfig; ee: EndEffectorTracker }>();

  constructor(manifest: Manifest, config: ObserveConfig) {
    this.#manifest = manifest;
    this.#config = config;
    this.tf = new TfBuffer({ cacheSeconds: config.tfCacheSeconds ?? 10 });
    this.instruction = new Instruction(config.instruction);
    const problems: string[] = [];
    for (const spec of manifest.cameras) {
      const cam = config.cameras.find((c) => c.role === spec.role);
      if (!cam) problems.push(`cameras: the model needs a topic for camera role ${spec.role}`);
      else this.#cameras.set(spec.role, new CameraFeed(new CameraPreprocessor(spec), spec.role, cam.topic, { arrival: config.decode !== 'snapshot' }));
    }
    for (const name of manifest.state.arms) {
      const cfg = config.arms.find((a) => a.name === name);
      if (!cfg) { problems.push(`arms: the model needs arm ${name}`); continue; }
      if (manifest.state.layout.gripper && !cfg.gripper) problems.push(`arms.${name}.gripper: the model's state has a gripper value; configure the gripper joint and its closed/open positions`);
      if (cfg.gripper && cfg.gripper.openPosition === cfg.gripper.closedPosition) problems.push(`arms.${name}.gripper: open and closed positions are equal (${cfg.gripper.openPosition})`);
      this.#arms.set(name, { cfg, ee: new EndEffectorTracker(name, cfg.pose) });
      if (!this.#joints.has(cfg.jointTopic)) this.#joints.set(cfg.jointTopic, new JointStateBuffer(cfg.jointTopic));
    }
    if (problems.length > 0) throw new ParameterError(`observation inputs do not cover model ${manifest.name} (${manifest.file}):\n  ${problems.join('\n  ')}`);
  }

  /** Live change of the freshness bounds. */
  setFreshness(maxAge: ObserveConfig['maxAge'], futureTolerance: number): void {
    this.#config = { ...this.#config, maxAge, futureTolerance };
  }

  cameraTopics(): { role: string; topic: string }[] {
    return [...this.#cameras].map(([role, c]) => ({ role, topic: c.topic }));
  }

  jointTopics(): string[] {
    return [...this.#joints.keys()];
  }

  poseTopics(): { arm: string; topic: string }[] {
    return [...this.#arms.values()].flatMap(({ cfg }) => (cfg.pose.kind === 'topic' ? [{ arm: cfg.name, topic: cfg.pose.topic }] : []));
  }

  onImage(role: string, msg: Image): void {
    this.#camera(role).push({ kind: 'raw', msg });
  }

  onCompressedImage(role: string, msg: CompressedImage): void {
    this.#camera(role).push({ kind: 'compressed', msg });
  }

  /** Frames received and decoded per camera role (decoded <= received). */
  cameraCounts(): Map<string, { received: number; decoded: number }> {
    return new Map([...this.#cameras].map(([role, c]) => [role, c.counts]));
  }

  #camera(role: string): CameraFeed {
    const c = this.#cameras.get(role);
    if (!c) throw new InputError(`camera ${role}: the model has no such camera role (it has ${[...this.#cameras.keys()].join(', ')}).`);
    return c;
  }

  onJointState(topic: string, msg: JointState): void {
    const b = this.#joints.get(topic);
    if (!b) throw new InputError(`joint states on ${topic}: no arm is configured to read this topic.`);
    b.update(msg);
  }

  /** `now`: the node's clock, to refuse transforms stamped far ahead of it (see TfBuffer.add). */
  onTf(msg: TFMessage, isStatic: boolean, topic = isStatic ? '/tf_static' : '/tf', now?: bigint): void {
    this.tf.add(msg, isStatic, topic, now === undefined ? {} : { now, futureTolerance: Math.max(1, this.#config.futureTolerance) });
  }

  onPose(arm: string, msg: PoseStamped): void {
    const a = this.#arms.get(arm);
    if (!a) throw new InputError(`pose for arm ${arm}: no such arm (have ${[...this.#arms.keys()].join(', ')}).`);
    a.ee.onPose(msg);
  }

  /** Throws SnapshotRefused naming the first input that is missing, stale, from the future or unusable. */
  async snapshot(now: bigint): Promise<Snapshot> {
    const { maxAge, futureTolerance } = this.#config;
    const stamps: InputStamp[] = [];
    const images: Record<string, Uint8Array> = {};
    const decodes: (() => Promise<void>)[] = [];
    for (const [role, cam] of this.#cameras) {
      const input = cam.input;
      const latest = cam.latest;
      if (!latest) throw new SnapshotRefused(input, 'missing', 'no image received yet.');
      stamps.push({ input, stamp: stampToNs(latest.msg.header.stamp), maxAge: maxAge.camera });
      // The frame was decoded when it arrived (or is being decoded): this takes the ready image.
      decodes.push(() => cam.image()
        .then((img) => { images[role] = img.data; }, (e: unknown) => {
          throw e instanceof InputError ? new SnapshotRefused(input, 'invalid', e.message.replace(`${input}: `, '')) : e;
        }));
    }
    const states = new Map<string, ArmState>();
    for (const [name, { cfg, ee }] of this.#arms) {
      let pose;
      try {
        pose = ee.read(this.tf);
      } catch (e) {
        throw new SnapshotRefused(ee.inputName, 'invalid', (e as Error).message);
      }
      if (!pose) throw new SnapshotRefused(ee.inputName, 'missing', 'no pose received yet.');
      // Finite but absurd (a wrong frame, a broken sensor): the model would extrapolate from it.
      const reach = Math.hypot(...pose.pose.t);
      if (cfg.maxReach !== undefined && reach > cfg.maxReach) {
        throw new SnapshotRefused(ee.inputName, 'invalid', `position (${pose.pose.t.map((v) => v.toFixed(3)).join(', ')}) m is ${reach.toFixed(3)} m from ${cfg.pose.baseFrame}'s origin, beyond arms.${name}.pose.max_reach = ${cfg.maxReach} m; no inference runs on it. Check the frames (or raise the bound if the arm really reaches that far).`);
      }
      // A pose from static transforms alone has no time: it holds now.
      stamps.push({ input: ee.inputName, stamp: pose.stamp ?? now, maxAge: maxAge.pose });
      const jointInput = `${name} joints (${cfg.jointTopic})`;
      const names = [...cfg.joints, ...(cfg.gripper && !cfg.joints.includes(cfg.gripper.joint) ? [cfg.gripper.joint] : [])];
      let gripper: number | null = null;
      if (names.length > 0) {
        const buffer = this.#joints.get(cfg.jointTopic) as JointStateBuffer;
        let read;
        try {
          read = buffer.read(names, jointInput);
        } catch (e) {
          throw new SnapshotRefused(jointInput, 'missing', (e as Error).message.replace(`${jointInput}: `, ''));
        }
        stamps.push({ input: jointInput, stamp: read.stamp, maxAge: maxAge.joints });
        if (cfg.gripper) gripper = gripperToModel(read.positions[names.indexOf(cfg.gripper.joint)] as number, cfg.gripper);
      }
      states.set(name, { pose: pose.pose, gripper });
    }
    const text = this.instruction.text;
    if (text === null) throw new SnapshotRefused('instruction', 'missing', 'no instruction set; set the instruction parameter or publish on the instruction topic.');
    const freshness = checkFreshness(now, stamps, futureTolerance);
    // Images are collected only once every input is known to be fresh.
    await Promise.all(decodes.map((d) => d()));
    const m = this.#manifest;
    const state = encodeState(m.state.arms, m.state.layout, states);
    return { ...freshness, observation: { images, state, instruction: text } };
  }
}
