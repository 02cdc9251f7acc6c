/**
 * The last gate before a target is published, per arm, in this order: finite values; inside the
 * workspace box (in the output frame); within `max_tracking_distance` of the measured pose (a
 * blocked or lagging arm is not dragged by a target running away from it); away from the other
 * arm's latest target, eased over `arm_distance_band` (easedGap) so that it ends no nearer than
 * `min_arm_distance` without a kink in its motion; the acceleration and jerk limits
 * (motion-limiter.ts: the stream shaped, not clipped); the linear and angular speed limits from the
 * previous target; a step that would still come within `min_arm_distance`, nearer than before,
 * holds the previous position; gripper in range. The first target after a start or a reset starts from the measured pose, which
 * must itself be inside the box. Every intervention is counted by kind; a refused target publishes
 * nothing. The quaternion goes out in the hemisphere of the last published one, across resets too:
 * the published stream never flips sign.
 */
import { alignHemisphere, angleBetween, distance, lerpVec, slerp, type Quat, type Transform, type Vec3 } from '../geometry.js';
import { secondsBetween, secondsToNs } from '../time.js';
import type { ArmTarget } from './interpolate.js';
import { MotionLimiter } from './motion-limiter.js';

export interface SafetyLimits {
  workspaceMin: Vec3;
  workspaceMax: Vec3;
  /** Metres per second. */
  maxLinearSpeed: number;
  /** Radians per second. */
  maxAngularSpeed: number;
  gripperMin: number;
  gripperMax: number;
  /**
   * Model units outside [gripperMin, gripperMax] that are still a normal output (a regression head
   * overshoots its training range a little): clipped without an intervention, counted in `clipped`.
   */
  gripperTolerance: number;
  /** Longest interval (s) the speed limits may be spread over: a late tick cannot earn a long jump. */
  maxStepInterval: number;
  /** m/s^2; 0: off. The target stream is shaped (motion-limiter.ts), not clipped. */
  maxLinearAcceleration: number;
  /** m/s^3; 0: off (with an acceleration limit only). */
  maxLinearJerk: number;
  /** Largest distance (m) from the measured position; 0: off. Needs the measured pose every tick. */
  maxTrackingDistance: number;
  /** Smallest distance (m) from the other arm's latest target; 0: off. */
  minArmDistance: number;
  /** Width (m) of the easing above and below minArmDistance (easedGap); 0: a plain projection. */
  armDistanceBand: number;
}

export type Intervention =
  | 'non_finite'
  | 'workspace'
  | 'linear_speed'
  | 'angular_speed'
  | 'gripper_range'
  | 'no_measured_pose'
  | 'measured_outside_workspace'
  | 'linear_acceleration'
  | 'linear_jerk'
  | 'tracking_distance'
  | 'arm_distance'
  | 'no_other_arm_pose';

/** Every intervention kind, for reports that list them all (zeros included). */
export const INTERVENTIONS: readonly Intervention[] = ['non_finite', 'workspace', 'linear_speed', 'angular_speed', 'gripper_range', 'no_measured_pose', 'measured_outside_workspace', 'linear_acceleration', 'linear_jerk', 'tracking_distance', 'arm_distance', 'no_other_arm_pose'];

/** What the filter knows of the world at a tick besides the requested target. */
export interface SafetyContext {
  /** The arm's measured pose in the output frame; null when unknown. */
  measured: Transform | null;
  /**
   * The other arm's latest target position in the output frame; null when it has published none
   * (nothing to keep away from); 'unavailable' when it has but cannot be put in the output frame
   * (no transform): with the check on, the target is refused rather than let through unchecked.
   */
  otherArm: Vec3 | null | 'unavailable';
}

export type SafetyResult = { ok: true; target: ArmTarget; interventions: Intervention[] } | { ok: false; reason: Intervention };

export class SafetyFilter {
  #limits: SafetyLimits;
  /** Interventions by kind: each one a target the policy asked for that was not safe as it was. */
  readonly counts = new Map<Intervention, number>();
  /** Gripper outputs clipped into range from within the tolerance: normal, not interventions. */
  gripperClipped = 0;
  #previous: { pose: Transform; time: bigint } | null = null;
  /** The last published quaternion: kept across resets, so the stream keeps one hemisphere. */
  #hemisphere: Quat | null = null;
  readonly #motion: MotionLimiter;

  constructor(limits: SafetyLimits) {
    this.#limits = limits;
    this.#motion = new MotionLimiter(motionLimits(limits));
  }

  /** Whether the filter needs the measured pose at every tick (not only at the first target). */
  get needsMeasured(): boolean {
    return this.#limits.maxTrackingDistance > 0;
  }

  get limits(): SafetyLimits {
    return this.#limits;
  }

  /** New limits (a validated live change) apply from the next target on. */
  setLimits(limits: SafetyLimits): void {
    this.#limits = limits;
    this.#motion.setLimits(motionLimits(limits));
  }

  #count(kind: Intervention): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  inWorkspace(p: Vec3): boolean {
    const { workspaceMin: lo, workspaceMax: hi } = this.#limits;
    return p.every((v, i) => v >= (lo[i] as number) && v <= (hi[i] as number));
  }

  /** Forget the previous target: the next one starts from the measured pose again. */
  reset(): void {
    this.#previous = null;
    this.#motion.reset(null);
  }

  /** The previous target was published again at `now` (holding): the next step is measured from then, at rest. */
  held(now: bigint): void {
    if (this.#previous) {
      this.#previous = { pose: this.#previous.pose, time: now };
      this.#motion.reset(this.#previous.pose.t);
    }
  }

  filter(target: ArmTarget, now: bigint, { measured, otherArm }: SafetyContext): SafetyResult {
    const L = this.#limits;
    const values = [...target.pose.t, ...target.pose.q, ...(target.gripper === null ? [] : [target.gripper])];
    if (!values.every(Number.isFinite)) {
      this.#count('non_finite');
      return { ok: false, reason: 'non_finite' };
    }
    let prev = this.#previous;
    if (prev === null) {
      if (!measured || ![...measured.t, ...measured.q].every(Number.isFinite)) {
        this.#count('no_measured_pose');
        return { ok: false, reason: 'no_measured_pose' };
      }
      if (!this.inWorkspace(measured.t)) {
        this.#count('measured_outside_workspace');
        return { ok: false, reason: 'measured_outside_workspace' };
      }
      prev = { pose: measured, time: now - secondsToNs(L.maxStepInterval) };
      this.#motion.reset(measured.t);
    }
    if (L.maxTrackingDistance > 0 && (!measured || ![...measured.t, ...measured.q].every(Number.isFinite))) {
      this.#count('no_measured_pose');
      return { ok: false, reason: 'no_measured_pose' };
    }
    if (L.minArmDistance > 0 && otherArm === 'unavailable') {
      this.#count('no_other_arm_pose');
      return { ok: false, reason: 'no_other_arm_pose' };
    }
    const interventions: Intervention[] = [];
    const elapsed = secondsBetween(now, prev.time);
    const step = Math.min(Math.max(elapsed, 0), L.maxStepInterval);
    // After a pause in the targets (no chunk, refused) the stream starts again from rest.
    if (elapsed > L.maxStepInterval) this.#motion.reset(prev.pose.t);

    // Into the box first; the step limit then moves along a segment between two points of the
    // (convex) box, so the result stays inside it.
    let t: Vec3 = target.pose.t.map((v, i) => Math.min(Math.max(v, L.workspaceMin[i] as number), L.workspaceMax[i] as number)) as Vec3;
    if (t.some((v, i) => v !== target.pose.t[i])) interventions.push('workspace');

    if (L.maxTrackingDistance > 0 && measured) {
      const gap = distance(measured.t, t);
      if (gap > L.maxTrackingDistance) {
        // Onto the sphere around the measured position (the box is convex and holds both ends).
        t = lerpVec(measured.t, t, L.maxTrackingDistance / gap);
        interventions.push('tracking_distance');
      }
    }
    if (L.minArmDistance > 0 && otherArm && otherArm !== 'unavailable') {
      const gap = distance(t, otherArm);
      const eased = easedGap(gap, L.minArmDistance, L.armDistanceBand);
      if (eased > gap && gap > 0) {
        // Radially out from the other arm's target, to the eased distance; back into the box after.
        t = lerpVec(otherArm, t, eased / gap);
        t = t.map((v, i) => Math.min(Math.max(v, L.workspaceMin[i] as number), L.workspaceMax[i] as number)) as Vec3;
        interventions.push('arm_distance');
      }
    }
    const shaped = this.#motion.step(t, step);
    if (shaped.limited) interventions.push(shaped.limited === 'jerk' ? 'linear_jerk' : 'linear_acceleration');
    t = shaped.p;
    if (!this.inWorkspace(t)) {
      // The shaped stream follows points inside the box without overshoot; rounding aside, it stays in.
      t = t.map((v, i) => Math.min(Math.max(v, L.workspaceMin[i] as number), L.workspaceMax[i] as number)) as Vec3;
      if (!interventions.includes('workspace')) interventions.push('workspace');
    }

    const maxLinear = L.maxLinearSpeed * step;
    const d = distance(prev.pose.t, t);
    if (d > maxLinear) {
      t = lerpVec(prev.pose.t, t, d > 0 ? maxLinear / d : 0);
      interventions.push('linear_speed');
    }
    if (L.minArmDistance > 0 && otherArm && otherArm !== 'unavailable') {
      const gap = distance(t, otherArm);
      // The last resort, where the easing could not act (a target on the other arm's, the box, the
      // speed limit cutting a chord through the sphere): a move that would end inside the bound and
      // nearer than before holds the previous position; moving away is let through.
      if (gap < L.minArmDistance && gap < distance(prev.pose.t, otherArm)) {
        t = prev.pose.t;
        if (!interventions.includes('arm_distance')) interventions.push('arm_distance');
      }
    }
    this.#motion.published(t, step);
    // In the previous target's hemisphere: a controller that differences quaternions sees no sign flip.
    let q = alignHemisphere(target.pose.q, this.#hemisphere ?? prev.pose.q);
    const maxAngle = L.maxAngularSpeed * step;
    const angle = angleBetween(prev.pose.q, q);
    if (angle > maxAngle) {
      q = slerp(prev.pose.q, q, angle > 0 ? maxAngle / angle : 0);
      interventions.push('angular_speed');
    }
    let gripper = target.gripper;
    if (gripper !== null && (gripper < L.gripperMin || gripper > L.gripperMax)) {
      const outside = Math.max(L.gripperMin - gripper, gripper - L.gripperMax);
      gripper = Math.min(Math.max(gripper, L.gripperMin), L.gripperMax);
      if (outside > L.gripperTolerance) interventions.push('gripper_range');
      else this.gripperClipped++;
    }
    for (const k of interventions) this.#count(k);
    const pose = { t, q };
    this.#previous = { pose, time: now };
    this.#hemisphere = q;
    return { ok: true, target: { pose, gripper }, interventions };
  }
}

/**
 * The distance a target at `gap` from the other arm's target is moved out to: never under `bound`;
 * unchanged from bound + band on; in between, a parabola that meets both with the same slope, so the
 * moved target's velocity has no kink where the easing begins or where it reaches the bound (a
 * projection onto the sphere stops the approach at once, a hold stops all motion: both read as jerk).
 */
export function easedGap(gap: number, bound: number, band: number): number {
  if (gap >= bound + band) return gap;
  if (band <= 0 || gap <= bound - band) return Math.max(gap, bound);
  return bound + (gap - bound + band) ** 2 / (4 * band);
}

function motionLimits(l: SafetyLimits): { maxAcceleration: number; maxJerk: number } {
  return { maxAcceleration: l.maxLinearAcceleration, maxJerk: l.maxLinearJerk };
}
