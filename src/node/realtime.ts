/**
 * Real-time scheduling for an executor that runs in a process of its own (the split launch): the
 * whole process, every thread of it (the JavaScript thread, rcl's wait thread, the DDS threads;
 * threads started later inherit it), at SCHED_FIFO realtime_priority. Why: on a machine whose cores
 * inference shares, a control tick otherwise waits for a core for tens of milliseconds; at real-time
 * priority it preempts inference at once (P4 in `npm run bench` measures both).
 *
 * Not in the single-process bringup: there the inference threads would share the priority and take
 * the cores from everything else, ROS included. Node has no binding for sched_setscheduler, so
 * util-linux's chrt sets it, as one would by hand.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import type { BringupKind, Nodes } from './bringup.js';

const POLICIES = ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'];

/** A process's scheduling policy as the kernel has it (/proc/<pid>/stat), e.g. 'SCHED_FIFO 50' or 'SCHED_OTHER'. */
export function scheduling(pid: number | 'self' = 'self'): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses); field 3 comes first,
  // field 40 is rt_priority and 41 the policy.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const policy = POLICIES[Number(f[41 - 3])] ?? `policy ${f[41 - 3]}`;
  return policy === 'SCHED_FIFO' || policy === 'SCHED_RR' ? `${policy} ${f[40 - 3]}` : policy;
}

/** Puts every thread of process `pid` at SCHED_FIFO `priority`; null when done, else why not. */
export function takeRealtimePriority(priority: number, pid = process.pid): string | null {
  const r = spawnSync('chrt', ['--all-tasks', '--fifo', '--pid', String(priority), String(pid)], { encoding: 'utf8' });
  if (r.error) return `chrt (util-linux) could not run: ${r.error.message}`;
  if (r.status !== 0) return (r.stderr || '').trim() || `chrt exited with status ${r.status}`;
  return null;
}

/** After bringUp: the split executor's process takes its realtime_priority, and says what it got;
 * the single-process bringup says why it does not. */
export function executorScheduling(kind: BringupKind, nodes: Nodes): void {
  if (kind === 'executor') {
    const executor = nodes.executors[0];
    if (!executor) return;
    const priority = executor.config.realtimePriority;
    const log = executor.graph.logger;
    if (priority === 0) {
      log.info(`${executor.arm} executor: normal scheduling (realtime_priority 0)`);
      return;
    }
    const failed = takeRealtimePriority(priority);
    if (failed === null) {
      log.info(`${executor.arm} executor: this process runs at real-time priority (${scheduling()}, realtime_priority ${priority})`);
    } else {
      log.warn(`${executor.arm} executor: could not take real-time priority SCHED_FIFO ${priority} (${failed}); running at normal priority, where inference on the same cores can delay ticks by tens of milliseconds. Allow it (root, CAP_SYS_NICE, or an rtprio limit of at least ${priority}: see the README's robot section), or set realtime_priority: 0 to run at normal priority without this warning.`);
    }
    return;
  }
  const asked = nodes.executors.filter((e) => e.config.realtimePriority > 0);
  for (const e of asked) {
    e.graph.logger.info(`${e.arm} executor: realtime_priority ${e.config.realtimePriority} not applied: inference shares this process (single-process bringup) and would take the cores from everything else at that priority; launch with single_process:=false for executors at real-time priority`);
  }
}
