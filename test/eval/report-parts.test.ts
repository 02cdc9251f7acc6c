import { strict as assert } from 'node:assert';

import { Episodes } from '../../src/eval/episodes.js';
import type { ScoredSample } from '../../src/eval/metrics.js';
import { linePlot, niceTicks, tickLabel } from '../../src/eval/svg-plot.js';
import { secondsToNs as ns } from '../../src/time.js';

const sample = (time: number, positionMm: number): ScoredSample => ({
  time: ns(time), positionMm, rotationDeg: 1, holdMm: 2 * positionMm, holdDeg: 2, gripper: 1, truthGripper: time % 2 < 1 ? 1 : 0,
  pose: { t: [0, 0, 0], q: [0, 0, 0, 1] }, truth: { t: [0, 0, 0], q: [0, 0, 0, 1] },
});

describe('report parts: episodes and plot axes', () => {
  it('starts an episode at a pause in the recording and at a new instruction, not at a repeated one', () => {
    const e = new Episodes(ns(100), ['left']);
    e.input(ns(100), 'lift the red block');
    for (let t = 100; t <= 104; t += 0.02) { e.input(ns(t)); e.scored('left', sample(t, 10)); }
    // A 2 s pause (scene reset), the same instruction again: a new episode because of the pause.
    e.input(ns(106), 'lift the red block');
    for (let t = 106; t <= 109; t += 0.02) { e.input(ns(t)); e.scored('left', sample(t, 20)); }
    // No pause, a new instruction: a new episode.
    e.input(ns(109.01), 'hand over the blue block');
    for (let t = 109.02; t <= 110; t += 0.02) { e.input(ns(t)); e.scored('left', sample(t, 30)); }
    e.input(ns(110.01), 'hand over the blue block');
    // A pause with nothing scored after it: no episode.
    e.input(ns(115));
    const out = e.finish().map((d) => d.metrics);
    assert.deepEqual(out.map((x) => [x.index, x.instruction, x.start_s, Number(x.duration_s.toFixed(1))]), [
      [1, 'lift the red block', 0, 4],
      [2, 'lift the red block', 6, 3],
      [3, 'hand over the blue block', 9.01, 1],
    ]);
    assert.deepEqual(out.map((x) => x.arms['left']?.position_error_mm.mean), [10, 20, 30]);
    assert.deepEqual(out.map((x) => x.arms['left']?.hold_baseline_position_error_mm.mean), [20, 40, 60]);
    // The recorded gripper is open for odd seconds' first halves: about half agree (two thirds in 106..109), none in 109..110.
    assert.deepEqual(out.map((x) => Math.round(x.arms['left']!.gripper_agreement! * 10) / 10), [0.5, 0.7, 0]);
  });

  it('keeps an episode\'s instruction from the one before when none was sent, and at most the asked number of frames', async () => {
    const e = new Episodes(0n, ['left'], { frames: 3, frameEvery: 0.5 });
    e.input(ns(0), 'stack the blocks');
    for (let i = 0; i < 30; i++) { const t = i / 10; e.input(ns(t)); e.frame(ns(t), async () => `frame at ${t.toFixed(1)}`); e.scored('left', sample(t, 1)); }
    for (let i = 50; i < 60; i++) { const t = i / 10; e.input(ns(t)); e.scored('left', sample(t, 1)); }
    const out = e.finish();
    assert.deepEqual(out.map((d) => d.metrics.instruction), ['stack the blocks', 'stack the blocks']);
    assert.deepEqual(await Promise.all(out[0]!.frames), ['frame at 0.0', 'frame at 1.5', 'frame at 2.5']);
    assert.deepEqual(out[1]!.frames, []);
  });

  it('draws a thumbnail only for the frames it keeps, the same frames as when every frame was drawn', async () => {
    const e = new Episodes(0n, ['left'], { frames: 4, frameEvery: 0.5 });
    const drawn: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = i / 10;
      e.input(ns(t));
      e.frame(ns(t), async () => { drawn.push(t); return `frame at ${t.toFixed(1)}`; });
      e.scored('left', sample(t, 1));
    }
    // 400 frames at least 0.5 s apart; a decimator of 16 halves itself five times over them.
    assert.deepEqual(await Promise.all(e.finish()[0]!.frames), ['frame at 0.0', 'frame at 64.0', 'frame at 128.0', 'frame at 192.0']);
    assert.ok(drawn.length <= 16 + 8 * 5, `drew ${drawn.length} thumbnails for 400 frames; expected at most 56`);
    assert.deepEqual(drawn.slice(0, 3), [0, 0.5, 1]);
  });

  it('puts axis ticks at 1, 2 or 5 times a power of ten, labelled with the decimals the step needs', () => {
    assert.deepEqual(niceTicks(0, 4.75).ticks, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(niceTicks(0, 0.00564).ticks, [0, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006]);
    assert.deepEqual(niceTicks(-0.27, 0.13).ticks, [-0.3, -0.2, -0.1, 0, 0.1, 0.2]);
    assert.deepEqual(niceTicks(1700000003.2, 1700000011.9, 5).ticks, [1700000002, 1700000004, 1700000006, 1700000008, 1700000010, 1700000012]);
    assert.equal(tickLabel(0.004, 0.002), '0.004');
    assert.equal(tickLabel(150, 50), '150');
    assert.equal(tickLabel(-0, 0.1), '0.0');
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', color: '#000', points: [[0, 0.3], [4.75, 4.75]] }] });
    const labels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    assert.deepEqual(labels, ['0', '2', '4', '6']);
  });

  it('breaks a line across a gap and clips what is above a fixed range, saying how many points', () => {
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', y: [0, 10], gap: 0.5, series: [{ name: 'a', color: '#000', points: [[0, 1], [0.1, 2], [3, 50], [3.1, 3]] }] });
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    assert.match(svg, />1 point above 10</);
    assert.match(svg, /clip-path="url\(#clip\d+\)"/);
  });
});
