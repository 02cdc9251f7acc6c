/**
 * A scripted robot for tests: camera images (raw and compressed), per-arm joint states with a
 * gripper joint, and TF (static mounts, moving end effectors), with stamps chosen by the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CompressedImage, Image, JointState, TFMessage, TransformStamped } from '../src/messages.js';
import type { ObserveConfig } from '../src/observe/observation-assembler.js';
import { nsToStamp, secondsToNs } from '../src/time.js';
import { ROOT } from './helpers.js';

const IMAGES = join(ROOT, 'test', 'fixtures', 'images');
export const RGB8 = new Uint8Array(readFileSync(join(IMAGES, 'rgb8.bin')));
export const JPEG = new Uint8Array(readFileSync(join(IMAGES, 'jpeg.bin')));

/** Seconds (as the tests script them) to nanoseconds. */
export const ns = (t: number): bigint => secondsToNs(t);

export const header = (t: number, frame = ''): Image['header'] => ({ stamp: nsToStamp(secondsToNs(t)), frame_id: frame });

export function rawImage(t: number, data = RGB8): Image {
  return { header: header(t, 'cam'), width: 96, height: 72, encoding: 'rgb8', is_bigendian: 0, step: 96 * 3, data };
}

export function jpegImage(t: number, data = JPEG): CompressedImage {
  return { header: header(t, 'cam'), format: 'rgb8; jpeg compressed bgr8', data };
}

export function jointState(t: number, arm: 'left' | 'right', gripper: number): JointState {
  return {
    header: header(t),
    name: [`${arm}_waist`, `${arm}_shoulder`, `${arm}_gripper`],
    position: [0.1, -0.4, gripper],
    velocity: [],
    effort: [],
  };
}

export function transform(t: number, parent: string, child: string, xyz: [number, number, number], q: [number, number, number, number] = [1, 0, 0, 0]): TransformStamped {
  return {
    header: header(t, parent),
    child_frame_id: child,
    transform: { translation: { x: xyz[0], y: xyz[1], z: xyz[2] }, rotation: { x: q[0], y: q[1], z: q[2], w: q[3] } },
  };
}

export const staticTf = (): TFMessage => ({
  transforms: [transform(0, 'world', 'left_base', [0, 0.3, 0], [0, 0, 0, 1]), transform(0, 'world', 'right_base', [0, -0.3, 0], [0, 0, 0, 1])],
});

/** End effectors pointing down (180 degrees about x), inside the bundled models' workspace. */
export const eeTf = (t: number, dx = 0): TFMessage => ({
  transforms: [transform(t, 'left_base', 'left_ee', [0.3 + dx, 0.2, 0.2]), transform(t, 'right_base', 'right_ee', [0.3 + dx, -0.2, 0.2])],
});

export function observeConfig(over: Partial<ObserveConfig> = {}): ObserveConfig {
  return {
    cameras: [
      { role: 'head', topic: '/cam_high/image_raw' },
      { role: 'left_wrist', topic: '/cam_left_wrist/image_raw/compressed' },
      { role: 'right_wrist', topic: '/cam_right_wrist/image_raw' },
    ],
    arms: (['left', 'right'] as const).map((arm) => ({
      name: arm,
      pose: { kind: 'tf' as const, baseFrame: `${arm}_base`, eeFrame: `${arm}_ee` },
      jointTopic: '/joint_states',
      joints: [`${arm}_waist`, `${arm}_shoulder`],
      gripper: { joint: `${arm}_gripper`, closedPosition: 0.01, openPosition: 0.05, modelClosed: 0, modelOpen: 1 },
    })),
    instruction: 'hand over the box to the other arm',
    maxAge: { camera: 0.2, joints: 0.2, pose: 0.2 },
    futureTolerance: 0.05,
    ...over,
  };
}
