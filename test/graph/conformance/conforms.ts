// Compiled only by test/graph/rclnodejs-types.test.ts, against rclnodejs's published declarations.
import * as rclnodejs from 'rclnodejs';

import type { RclLifecycleNode, RclModule, RclNode } from '../../../src/graph/rclnodejs-api.js';

type Real = { qos: rclnodejs.QoS; parameter: rclnodejs.Parameter; descriptor: rclnodejs.ParameterDescriptor; range: rclnodejs.Range };

export const api: RclModule<Real> = rclnodejs;
export const node = (n: rclnodejs.Node): RclNode<Real> => n;
export const lifecycleNode = (n: rclnodejs.lifecycle.LifecycleNode): RclLifecycleNode<Real> => n;
