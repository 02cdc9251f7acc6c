/**
 * Joint positions by name from sensor_msgs/JointState, per topic. A robot may publish one topic per
 * arm or one shared topic with prefixed names; partial messages (some drivers publish the gripper
 * separately) are merged joint by joint, each joint keeping its own stamp.
 */
import { InputError } from '../errors.js';
import type { JointState } from '../messages.js';
import { stampToNs } from '../time.js';

interface JointSample {
  position: number;
  /** Nanoseconds. */
  stamp: bigint;
}

export class JointStateBuffer {
  readonly topic: string;
  readonly #joints = new Map<string, JointSample>();

  constructor(topic: string) {
    this.topic = topic;
  }

  /** Validates the whole message first: a bad message changes nothing. */
  update(msg: JointState): void {
    const names = msg.name ?? [];
    const positions = msg.position ?? [];
    if (names.length !== positions.length) {
      throw new InputError(`joint states on ${this.topic}: ${names.length} names but ${positions.length} positions; each named joint needs a position.`);
    }
    const seen = new Set<string>();
    const twice = names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
    if (twice.length > 0) {
      throw new InputError(`joint states on ${this.topic}: joint ${[...new Set(twice)].join(', ')} named more than once in one message; which position is meant cannot be told, so the message is ignored.`);
    }
    for (let i = 0; i < names.length; i++) {
      if (!Number.isFinite(positions[i])) {
        throw new InputError(`joint states on ${this.topic}: joint ${names[i]} has position ${positions[i]}, expected a finite number; the message is ignored.`);
      }
    }
    const stamp = stampToNs(msg.header.stamp);
    for (let i = 0; i < names.length; i++) this.#joints.set(names[i] as string, { position: positions[i] as number, stamp });
  }

  /** Positions in the order asked, and the oldest of their stamps. */
  read(names: readonly string[], what: string): { positions: Float64Array; stamp: bigint } {
    const positions = new Float64Array(names.length);
    let stamp: bigint | null = null;
    names.forEach((name, i) => {
      const s = this.#joints.get(name);
      if (!s) {
        const known = [...this.#joints.keys()];
        throw new InputError(`${what}: joint ${name} has not been seen on ${this.topic} (${known.length ? `it has ${known.join(', ')}` : 'no joint state received yet'}); check the joint names in the parameters.`);
      }
      positions[i] = s.position;
      if (stamp === null || s.stamp < stamp) stamp = s.stamp;
    });
    return { positions, stamp: stamp ?? 0n };
  }
}
