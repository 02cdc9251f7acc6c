/**
 * The loops recording (tests and the replay soak benchmark, with test/fixtures/loops.yaml): a
 * deterministic bimanual recording written as MCAP on first use. Both arms trace
 * smooth loops in their workspaces; the bag holds a raw head camera, a JPEG left-wrist camera and a
 * raw right-wrist camera at 10 Hz, per-arm joint states with gripper joints, TF (static mounts and
 * moving end effectors) and the recorded end-effector targets and gripper commands at 50 Hz.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';

import { quatNormalize, quatMultiply, type Quat, type Vec3 } from '../geometry.js';
import { Ros2McapWriter } from '../bag/mcap-writer.js';
import { nsToStamp, secondsToNs } from '../time.js';

export const DEMO_START = 1_700_000_000;
export const DEMO_SECONDS = 12;
const W = 128, H = 96;

function armPose(arm: 'left' | 'right', t: number): { p: Vec3; q: Quat; grip: number } {
  const s = arm === 'left' ? 1 : -1;
  const w = (2 * Math.PI) / 6;
  const p: Vec3 = [0.32 + 0.08 * Math.sin(w * t), s * (0.22 + 0.08 * Math.cos(w * t)), 0.2 + 0.05 * Math.sin(2 * w * t)];
  const yaw = 0.3 * Math.sin(w * t);
  const down: Quat = [1, 0, 0, 0];
  const q = quatNormalize(quatMultiply([0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)], down));
  return { p, q, grip: 0.5 + 0.5 * Math.sin(w * t + (s > 0 ? 0 : Math.PI)) };
}

function frame(t: number, cam: number): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  const l = armPose('left', t).p, r = armPose('right', t).p;
  const bx = Math.round(W * (0.5 + 2 * (l[1] + r[1]))), by = Math.round(H * (0.3 + l[0] + cam * 0.1));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const blob = (x - bx) ** 2 + (y - by) ** 2 < 150;
      out[o] = blob ? 230 : (x * 2 + cam * 40) & 255;
      out[o + 1] = blob ? 40 : (y * 2 + Math.round(t * 20)) & 255;
      out[o + 2] = blob ? 30 : 120 + cam * 30;
    }
  }
  return out;
}

const header = (t: bigint, frameId = ''): { stamp: { sec: number; nanosec: number }; frame_id: string } => ({ stamp: nsToStamp(t), frame_id: frameId });

/** Writes the demo bag to `path` (through a temporary file, so a half-written bag is never used). */
export async function writeDemoBag(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const w = await Ros2McapWriter.create(tmp);
  const tf = (t: bigint, parent: string, child: string, p: Vec3, q: Quat): unknown => ({
    header: header(t, parent), child_frame_id: child,
    transform: { translation: { x: p[0], y: p[1], z: p[2] }, rotation: { x: q[0], y: q[1], z: q[2], w: q[3] } },
  });
  const start = secondsToNs(DEMO_START);
  await w.write('/tf_static', 'tf2_msgs/msg/TFMessage', start, {
    transforms: [tf(start, 'world', 'left_base_link', [0, 0.3, 0], [0, 0, 0, 1]), tf(start, 'world', 'right_base_link', [0, -0.3, 0], [0, 0, 0, 1])],
  }, 'transient_local');
  for (let i = 0; i * 0.02 <= DEMO_SECONDS + 1e-9; i++) {
    const rel = Math.round(i * 0.02 * 1e6) / 1e6;
    const t = start + secondsToNs(rel);
    const L = armPose('left', rel), R = armPose('right', rel);
    await w.write('/tf', 'tf2_msgs/msg/TFMessage', t, { transforms: [tf(t, 'left_base_link', 'left_ee_link', L.p, L.q), tf(t, 'right_base_link', 'right_ee_link', R.p, R.q)] });
    await w.write('/joint_states', 'sensor_msgs/msg/JointState', t, {
      header: header(t), name: ['left_waist', 'left_shoulder', 'left_gripper', 'right_waist', 'right_shoulder', 'right_gripper'],
      position: [0.1 * Math.sin(rel), -0.5, L.grip, -0.1 * Math.sin(rel), -0.5, R.grip], velocity: [], effort: [],
    }, 'sensor_data');
    for (const [arm, lead] of [['left', armPose('left', rel + 0.1)], ['right', armPose('right', rel + 0.1)]] as const) {
      // The teleoperation command leads the measured pose by 100 ms.
      await w.write(`/${arm}/target_pose`, 'geometry_msgs/msg/PoseStamped', t, {
        header: header(t, `${arm}_base_link`), pose: { position: { x: lead.p[0], y: lead.p[1], z: lead.p[2] }, orientation: { x: lead.q[0], y: lead.q[1], z: lead.q[2], w: lead.q[3] } },
      });
      await w.write(`/${arm}/gripper_command`, 'std_msgs/msg/Float64', t, { data: lead.grip });
    }
    if (i % 5 === 0) {
      await w.write('/camera/head/image_raw', 'sensor_msgs/msg/Image', t, { header: header(t, 'head_camera'), height: H, width: W, encoding: 'rgb8', is_bigendian: 0, step: W * 3, data: frame(rel, 0) }, 'sensor_data');
      const jpeg = await sharp(frame(rel, 1), { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
      await w.write('/camera/left_wrist/image_raw/compressed', 'sensor_msgs/msg/CompressedImage', t, { header: header(t, 'left_wrist_camera'), format: 'rgb8; jpeg compressed bgr8', data: new Uint8Array(jpeg) }, 'sensor_data');
      const rgb = frame(rel, 2);
      const bgr = new Uint8Array(rgb.length);
      for (let k = 0; k < rgb.length; k += 3) { bgr[k] = rgb[k + 2] as number; bgr[k + 1] = rgb[k + 1] as number; bgr[k + 2] = rgb[k] as number; }
      await w.write('/camera/right_wrist/image_raw', 'sensor_msgs/msg/Image', t, { header: header(t, 'right_wrist_camera'), height: H, width: W, encoding: 'bgr8', is_bigendian: 0, step: W * 3, data: bgr }, 'sensor_data');
    }
  }
  await w.close();
  renameSync(tmp, path);
}

export async function ensureDemoBag(path: string): Promise<string> {
  if (!existsSync(path)) await writeDemoBag(path);
  return path;
}
