import { strict as assert } from 'node:assert';

import { TickClock } from '../../bench/tick-clock.js';

/** Holds the JavaScript thread (as a long callback or a GC pause would) for `ms` milliseconds. */
function hold(ms: number): void {
  const end = TickClock.now() + BigInt(Math.round(ms * 1e6));
  while (TickClock.now() < end) { /* busy */ }
}

const firings = (clock: TickClock, period: number, n: number, during?: (i: number) => void): Promise<{ due: bigint; actual: bigint }[]> =>
  new Promise((resolve) => {
    const seen: { due: bigint; actual: bigint }[] = [];
    const timer = clock.every(period, () => {
      during?.(seen.length - 1);
      if (seen.length === n) { timer.cancel(); resolve(seen); }
    }, (due, actual) => seen.push({ due, actual }));
  });

describe('the benchmarks\' tick clock (deadline timers on a timer thread)', () => {
  let clock: TickClock;
  beforeEach(() => { clock = new TickClock(); });
  afterEach(() => clock.stop());

  it('fires on the grid start + k * period, never before the deadline, without drift from the callbacks\' own time', async () => {
    const period = 0.005;
    // Each callback takes 2 ms of its 5 ms period: a timer re-armed "period after the callback"
    // would drift by 2 ms a tick; deadlines from the grid do not.
    const seen = await firings(clock, period, 20, () => hold(2));
    const step = 5_000_000n;
    const first = seen[0]!.due;
    for (const [i, f] of seen.entries()) {
      assert.ok(f.actual >= f.due, `firing ${i} came ${Number(f.due - f.actual) / 1e6} ms before its deadline`);
      assert.equal((f.due - first) % step, 0n, `firing ${i}'s deadline is off the grid by ${(f.due - first) % step} ns`);
    }
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.due > seen[i - 1]!.due, 'deadlines increase');
  });

  it('after a blocked thread, fires once late and skips the deadlines passed, instead of a burst of them (as rcl_timer_call)', async () => {
    const period = 10_000_000n;
    // The third callback holds the thread for 35 ms, past three deadlines.
    const seen = await firings(clock, 0.01, 6, (i) => { if (i === 2) hold(35); });
    const [third, fourth, fifth] = [seen[2]!, seen[3]!, seen[4]!];
    // The next deadline is the one at (or just after) the moment the third callback began: one
    // firing, late by the rest of the hold...
    assert.ok(fourth.due + period > third.actual && fourth.due <= third.actual + period, 'the next deadline is the one the third callback began at');
    assert.ok(fourth.actual - fourth.due >= 25_000_000n, `the firing after the hold came ${Number(fourth.actual - fourth.due) / 1e6} ms late`);
    // ...and the deadlines passed during the hold are skipped, not fired one after another.
    assert.ok(fifth.due + period > fourth.actual, 'the firing after the late one is not for a deadline the hold had passed');
    assert.ok((fifth.due - fourth.due) / period - 1n >= 1n, `deadlines skipped: ${(fifth.due - fourth.due) / period - 1n}`);
    for (const f of seen) assert.equal((f.due - third.due) % period, 0n, 'every deadline on the grid');
  });

  it('runs several timers at their own periods, and a cancelled timer fires no more', async () => {
    let slow = 0, cancelled = 0;
    const a = clock.every(0.02, () => { slow++; });
    const b = clock.every(0.002, () => { cancelled++; });
    b.cancel();
    await firings(clock, 0.005, 10);
    a.cancel();
    assert.equal(cancelled, 0, 'a timer cancelled before its first deadline never fires');
    assert.ok(slow >= 1, 'the 20 ms timer fired while the 5 ms timer fired ten times');
    const after = slow;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(slow, after, 'no firing after cancel');
  });

  it('refuses a period that is not positive', () => {
    assert.throws(() => clock.every(0, () => undefined), /TickClock: period must be > 0 s, got 0/);
    assert.throws(() => clock.every(Number.NaN, () => undefined), /got NaN/);
  });
});
