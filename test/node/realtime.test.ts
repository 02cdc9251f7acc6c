import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { scheduling, takeRealtimePriority } from '../../src/node/realtime.js';
import { ROOT } from '../helpers.js';

const CHILD = join(ROOT, 'dist', 'test', 'node', 'realtime-child.js');

interface ChildReport { lines: string[]; process: string; threads: string[] }

/** The executor's process as test/node/realtime-child.ts runs it; `prefix` goes before node (setpriv). */
function child(kind: string, priority: number, prefix: string[] = []): ChildReport {
  const [cmd, ...args] = [...prefix, process.execPath, CHILD, kind, String(priority)];
  return JSON.parse(execFileSync(cmd as string, args, { encoding: 'utf8' })) as ChildReport;
}

/** Whether this machine lets a root process take SCHED_FIFO (a container may forbid it). */
const fifoPermitted = spawnSync('chrt', ['--fifo', '1', 'true']).status === 0;

describe('executors at real-time priority (src/node/realtime.ts)', () => {
  it('reads a process\'s policy from /proc, also when its command name holds ") "', async () => {
    assert.equal(scheduling(), 'SCHED_OTHER');
    const link = join(mkdtempSync(join(tmpdir(), 'twinvla-rt-')), 's) 1 (2');
    symlinkSync('/bin/sleep', link);
    const p = spawn(link, ['5']);
    try {
      await new Promise((r) => p.once('spawn', r));
      assert.equal(scheduling(p.pid as number), 'SCHED_OTHER');
      if (fifoPermitted) {
        assert.equal(takeRealtimePriority(7, p.pid), null);
        assert.equal(scheduling(p.pid as number), 'SCHED_FIFO 7');
      }
    } finally {
      p.kill();
    }
  });

  it('an executor alone in its process puts every thread of it at SCHED_FIFO realtime_priority, and says so', function () {
    if (!fifoPermitted) this.skip(); // the refusal is the next test's
    const r = child('executor', 50);
    assert.deepEqual(r.lines, ['info: left executor: this process runs at real-time priority (SCHED_FIFO 50, realtime_priority 50)']);
    assert.equal(r.process, 'SCHED_FIFO 50');
    assert.ok(r.threads.length > 1);
    assert.deepEqual([...new Set(r.threads)], ['SCHED_FIFO 50']);
  });

  it('without the right (no CAP_SYS_NICE, rtprio limit 0) it warns, says how to allow it, and runs on at normal priority', () => {
    const r = child('executor', 50, ['setpriv', '--bounding-set', '-sys_nice']);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0] as string, /^warn: left executor: could not take real-time priority SCHED_FIFO 50 \(chrt: failed to set (pid|tid) \d+'s policy: Operation not permitted\); running at normal priority, .*see the README's robot section.*set realtime_priority: 0/);
    assert.equal(r.process, 'SCHED_OTHER');
  });

  it('realtime_priority 0 keeps normal scheduling', () => {
    const r = child('executor', 0);
    assert.deepEqual(r.lines, ['info: left executor: normal scheduling (realtime_priority 0)']);
    assert.deepEqual([...new Set(r.threads)], ['SCHED_OTHER']);
  });

  it('the single-process bringup does not take it (inference shares the process) and says why', () => {
    const r = child('bringup', 50);
    assert.deepEqual(r.lines, ['info: left executor: realtime_priority 50 not applied: inference shares this process (single-process bringup) and would take the cores from everything else at that priority; launch with single_process:=false for executors at real-time priority']);
    assert.deepEqual([...new Set(r.threads)], ['SCHED_OTHER']);
  });
});
