/**
 * The last gate before a target is published, per arm: finite values, inside the workspace box (in
 * the output frame), within the linear and angular speed limits from the previous target, gripper in
 * range. The first target after a start or a reset starts from the measured pose, which must itself be
 * inside the box. Every intervention is counted by kind; a refused target publishes nothing. The
 * quaternion goes out in the hemisphere of the previous target's (or the measured pose's).
 */
import { alignHemisphere, angleBetween, distance, lerpVec, slerp, type Transform, type Vec3 } from '../geometry.js';
import { secondsBetween, secondsToNs } from '../time.js';
import type { ArmTarget } from './interpolate.js';

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
}

export type Intervention =
  | 'non_finite'
  | 'workspace'
  | 'linear_speed'
  | 'angular_speed'
  | 'gripper_range'
  | 'no_measured_pose'
  | 'measured_outside_workspace';

export type SafetyResult = { ok: true; target: ArmTarget; interventions: Intervention[] } | { ok: false; reason: Intervention };

export class SafetyFilter {
  #limits: SafetyLimits;
  /** Interventions by kind: each one a target the policy asked for that was not safe as it was. */
  readonly counts = new Map<Intervention, number>();
  /** Gripper outputs clipped into range from within the tolerance: normal, not interventions. */
  gripperClipped = 0;
  #previous: { pose: Transform; time: bigint } | null = null;

  constructor(limits: SafetyLimits) {
    this.#limits = limits;
  }

  get limits(): SafetyLimits {
    return this.#limits;
  }

  /** New limits (a validated live change) apply from the next target on. */
  setLimits(limits: SafetyLimits): void {
    this.#limits = limits;
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
  }

  /** The previous target was published again at `now` (holding): the next step is measured from then. */
  held(now: bigint): void {
    if (this.#previous) this.#previous = { pose: this.#previous.pose, time: now };
  }

  filter(target: ArmTarget, now: bigint, measured: Transform | null): SafetyResult {
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
    }
    const interventions: Intervention[] = [];
    const step = Math.min(Math.max(secondsBetween(now, prev.time), 0), L.maxStepInterval);

    // Into the box first; the step limit then moves along a segment between two points of the
    // (convex) box, so the result stays inside it.
    let t: Vec3 = target.pose.t.map((v, i) => Math.min(Math.max(v, L.workspaceMin[i] as number), L.workspaceMax[i] as number)) as Vec3;
    if (t.some((v, i) => v !== target.pose.t[i])) interventions.push('workspace');

    const maxLinear = L.maxLinearSpeed * step;
    const d = distance(prev.pose.t, t);
    if (d > maxLinear) {
      t = lerpVec(prev.pose.t, t, d > 0 ? maxLinear / d : 0);
      interventions.push('linear_speed');
    }
    // In the previous target's hemisphere: a controller that differences quaternions sees no sign flip.
    let q = alignHemisphere(target.pose.q, prev.pose.q);
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
    return { ok: true, target: { pose, gripper }, interventions };
  }
}
