// Negative control: the rclnodejs 1.x habit of a number-of-milliseconds timer period. rclnodejs 2.x
// takes bigint nanoseconds, so this must NOT type-check; if it did, the conformance test would be blind.
import * as rclnodejs from 'rclnodejs';

interface WrongTimerNode {
  createTimer: (periodMs: number, callback: () => void) => { cancel: () => void };
}

export const wrong = (n: rclnodejs.Node): WrongTimerNode => n;
