import { strict as assert } from 'node:assert';

import type { Metrics } from '../../src/eval/eval-metrics.js';
import type { EvalResult } from '../../src/eval/evaluate.js';
import type { ArmMetrics, Stat } from '../../src/eval/metrics.js';
import { Progress, progressLine } from '../../src/eval/progress.js';
import { summaryTable } from '../../src/eval/summary.js';
import { formatWarnings, groupWarnings, wrap } from '../../src/eval/warnings.js';

const st = (mean: number, median: number, p95: number): Stat => ({ count: 100, mean, median, p95 });

function arm(scale: number): ArmMetrics {
  return {
    ground_truth: 'recorded_targets', gripper_ground_truth: 'recorded_commands',
    executed: {
      position_error_mm: st(14.8 * scale, 9.8 * scale, 47.6 * scale), rotation_error_deg: st(1.5, 0.81, 5.7),
      gripper_agreement: 0.973,
      motion: {
        sampled_at: 'recorded_stamps',
        executed: { samples: 1000, jerk_rms_m_s3: 1272.686 * scale, acceleration_rms_m_s2: 3.21, peak_speed_m_s: 0.412, max_step_mm: 21.3, quaternion_sign_flips: 0 },
        recorded: { samples: 1000, jerk_rms_m_s3: 81.906, acceleration_rms_m_s2: 1.07, peak_speed_m_s: 0.35, max_step_mm: 17.6, quaternion_sign_flips: 0 },
        ratio: { jerk_rms: Number((15.538 * scale).toFixed(2)), acceleration_rms: 3, peak_speed: 1.18, max_step: 1.21 },
      },
      hold_baseline: { position_error_mm: st(52.2, 41.2, 156), rotation_error_deg: st(1.0, 0, 5.9) },
    },
    horizon: [],
  };
}

/** Figures as large as a badly diverging model gives, on a long path: the summary must still fit. */
function result(scale: number): EvalResult {
  const metrics = {
    format: 'twinvla-eval/1', bag: '/data/recordings/2026-11-21/kitchen-handover-session-04/bag_0.mcap', model: 'twinvla-demo',
    seed: 0, latency: '50 ms', window_s: { start: 0, end: 100.8 }, chunks: 182, refused_snapshots: {},
    inference_latency_ms: st(50, 50, 50), observation_to_chunk_ms: st(109.2, 110, 150), frame_age_ms: st(59.2, 60, 100),
    arms: { left: arm(scale), right: arm(scale * 1.1) },
  } as unknown as Metrics;
  return { metrics, wallSeconds: 8.65, simulatedSeconds: 100.8, warnings: [], files: { metrics: 'out/metrics.json', report: 'out/report.html', replay: 'out/replay.mcap' }, raw: {} } as EvalResult;
}

describe('the terminal: summary, progress, warnings', () => {
  it('prints the summary as one block per arm, every line within 80 columns, even for huge errors', () => {
    for (const scale of [1, 1000]) {
      const text = summaryTable(result(scale));
      for (const line of text.split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
      const lines = text.split('\n');
      const left = lines.indexOf('left arm, against the recorded targets');
      const right = lines.indexOf('right arm, against the recorded targets');
      assert.ok(left > 0 && right > left + 11, text);
      // Observation to chunk, then its two parts, and what frame age means.
      const o = lines.findIndex((l) => l.startsWith('  observation to chunk, ms'));
      assert.deepEqual(lines.slice(o, o + 5), [
        '  observation to chunk, ms          109      110      150',
        '    frame age at start, ms           59       60      100',
        '    inference, ms                  50.0     50.0     50.0',
        '  frame age: from the snapshot\'s stamp (its oldest input\'s) to the start of its',
        '    inference',
      ]);
      if (scale === 1) {
        assert.equal(lines[left + 1], '  position error, mm               14.8      9.8     47.6  0.28x hold');
        assert.equal(lines[left + 2], '    holding the pose, mm             52       41      156');
        assert.equal(lines[left + 3], '  rotation error, deg               1.5      0.8      5.7');
        assert.equal(lines[left + 5], '  gripper agreement               97.3%');
        assert.equal(lines[left + 6], '  motion, at recorded stamps   executed recorded    ratio');
        assert.equal(lines[left + 7], '  jerk rms, m/s^3                1272.7     81.9   15.54x');
        assert.equal(lines[left + 11], '  quaternion sign flips               0        0');
      } else {
        assert.equal(lines[left + 1], '  position error, mm              14800     9800    47600  283.52x hold');
      }
    }
  });

  it('prints observation to chunk alone, and inference on its own row, for a run from before the split (no frame_age_ms)', () => {
    const r = result(1);
    delete (r.metrics as Partial<Metrics>).frame_age_ms;
    const lines = summaryTable(r).split('\n');
    const o = lines.findIndex((l) => l.startsWith('  observation to chunk, ms'));
    assert.deepEqual(lines.slice(o, o + 3), ['  observation to chunk, ms          109      110      150', '  inference, ms                    50.0     50.0     50.0', '']);
  });

  for (const columns of [60, 80, 120]) {
    it(`redraws the progress bar in place within ${columns} columns, one line in all`, () => {
      const out: string[] = [];
      const p = new Progress(0, 100.8, { tty: true, columns, write: (s) => out.push(s) });
      // Redraws are at most every 100 ms of wall time: spin so that several happen.
      for (let t = 0; t <= 100.8; t += 0.05) {
        const until = performance.now() + 0.3;
        while (performance.now() < until) { /* wall time passes */ }
        p.update(t);
      }
      p.update(100.8);
      p.finish();
      const all = out.join('');
      assert.ok(out.length > 3, `only ${out.length} redraws`);
      assert.equal(all.split('\n').length - 1, 1, 'more than one line printed');
      assert.ok(all.endsWith('\n'));
      for (const draw of all.slice(0, -1).split('\r').slice(1)) {
        assert.ok(draw.length <= columns - 1, `a redraw of ${draw.length} characters in ${columns} columns: ${JSON.stringify(draw)}`);
      }
      assert.match(all, /100% {2}100\.8\/100\.8 s/);
    });
  }

  it('drops the rate, then the ETA, then the times before the bar gets too short', () => {
    assert.equal(progressLine(0.5, 50, 100, 12.3, 4, 120), `[${'#'.repeat(25)}${'-'.repeat(25)}]  50%  50.0/100.0 s  12.3x real time  ETA 4 s`);
    assert.equal(progressLine(0.5, 50, 100, 12.3, 4, 50), '[##########---------]  50%  50.0/100.0 s  ETA 4 s');
    assert.equal(progressLine(0.5, 50, 100, 12.3, 4, 30), '[###########-----------]  50%');
  });

  it('groups warnings that differ only in their numbers, with counts and the range each number took', () => {
    const lines = [
      'warn: snapshot refused: camera head (/camera/head/image_raw): no image received yet.',
      ...[240, 600, 500, 310].map((ms) => `warn: snapshot refused: camera head (/camera/head/image_raw): latest sample is ${ms} ms old, above its bound of 200 ms.`),
      ...Array.from({ length: 3 }, () => 'warn: left executor: no fresh chunk covers now; not publishing'),
      'error: policy: inference failed: model output 3 is not finite',
    ];
    assert.deepEqual(groupWarnings(lines).map((g) => [g.level, g.count, g.text]), [
      ['error', 1, 'policy: inference failed: model output 3 is not finite'],
      ['warn', 4, 'snapshot refused: camera head (/camera/head/image_raw): latest sample is 240..600 ms old, above its bound of 200 ms.'],
      ['warn', 3, 'left executor: no fresh chunk covers now; not publishing'],
      ['warn', 1, 'snapshot refused: camera head (/camera/head/image_raw): no image received yet.'],
    ]);
    assert.equal(formatWarnings(lines, 80), [
      '9 warnings from the nodes, 4 kinds:',
      '    1x  ERROR: policy: inference failed: model output 3 is not finite',
      '    4x  snapshot refused: camera head (/camera/head/image_raw): latest sample is',
      '        240..600 ms old, above its bound of 200 ms.',
      '    3x  left executor: no fresh chunk covers now; not publishing',
      '    1x  snapshot refused: camera head (/camera/head/image_raw): no image',
      '        received yet.',
    ].join('\n'));
    assert.equal(formatWarnings([]), '');
  });

  it('wraps words to the width and never splits one', () => {
    assert.deepEqual(wrap('a bb ccc dddd', 6, '  '), ['a bb', '  ccc', '  dddd']);
    assert.deepEqual(wrap('/a/very/long/path/that/cannot/break next', 10), ['/a/very/long/path/that/cannot/break', 'next']);
  });
});
