/**
 * A process of its own for test/node/realtime.test.ts (real-time priority is process-wide, and the
 * test runner must not take it): one left ArmExecutor on a replay bus, brought up as `kind` with
 * `realtime_priority`, then executorScheduling as the ROS process runs it. Prints the log and the
 * scheduling policy of every thread of this process.
 *
 *   node dist/test/node/realtime-child.js <executor|bringup> <realtime_priority>
 */
import { readdirSync } from 'node:fs';

import { ReplayBus } from '../../src/graph/replay.js';
import { MemoryLogger } from '../../src/log.js';
import { ArmExecutor } from '../../src/node/arm-executor.js';
import type { BringupKind } from '../../src/node/bringup.js';
import { executorScheduling, scheduling } from '../../src/node/realtime.js';
import { executorParams } from './replay-scene.js';

const [kind, priority] = process.argv.slice(2) as [BringupKind, string];
const logs = new MemoryLogger();
const bus = new ReplayBus({ latency: 0, logLevel: 'silent' });
const executor = ArmExecutor.create(bus.node('twinvla_left_executor', { parameters: executorParams('left', { realtime_priority: Number(priority) }), logger: logs }));
logs.lines.length = 0; // the start-up line is not this test's
executorScheduling(kind, { policy: null, executors: [executor] });
const threads = readdirSync('/proc/self/task').map((tid) => scheduling(Number(tid)));
process.stdout.write(`${JSON.stringify({ lines: logs.lines, process: scheduling(), threads })}\n`);
process.exit(0);
