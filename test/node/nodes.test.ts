import { strict as assert } from 'node:assert';

import { sampleChunk } from '../../src/act/interpolate.js';
import { SafetyFilter } from '../../src/act/safety.js';
import { angleBetween, distance, type Quat, type Vec3 } from '../../src/geometry.js';
import { armChunkFrom } from '../../src/node/chunk-message.js';
import { Window } from '../../src/node/diagnostics.js';
import { chunkEnd } from '../../src/act/chunk.js';
import { nsToSeconds, secondsToNs as ns, stampToNs } from '../../src/time.js';
import { Scene, sceneMessages, stampOf } from './replay-scene.js';

const pos = (p: { pose: { position: { x: number; y: number; z: number } } }): Vec3 => [p.pose.position.x, p.pose.position.y, p.pose.position.z];
const quat = (p: { pose: { orientation: { x: number; y: number; z: number; w: number } } }): Quat => [p.pose.orientation.x, p.pose.orientation.y, p.pose.orientation.z, p.pose.orientation.w];

describe('nodes over the replay graph', function () {
  this.timeout(120_000);

  it('disabled executors publish no command; enabled ones publish both arms at the control rate', async () => {
    const s = await Scene.create(0.05);
    assert.equal(s.policy.state, 'active');
    await s.bus.run(sceneMessages(100, 101));
    assert.ok(s.chunks.length >= 5, `chunks: ${s.chunks.length}`);
    assert.equal(s.targets.left.length + s.targets.right.length + s.grippers.left.length, 0);
    assert.equal(s.left.status, 'disabled');
    s.bus.call('/twinvla_left_executor/enable', { data: true });
    s.bus.call('/twinvla_right_executor/enable', { data: true });
    await s.bus.run(sceneMessages(101.02, 102, { withStatic: false }));
    for (const arm of ['left', 'right'] as const) {
      const ts = s.targets[arm].map((x) => x.ns);
      assert.ok(ts.length >= 45 && ts.length <= 51, `${arm}: ${ts.length} targets in 1 s at 50 Hz`);
      for (let i = 1; i < ts.length; i++) assert.equal(ts[i]! - ts[i - 1]!, 20_000_000n); // exactly 20 ms apart
      // Stamps are the tick's time; the frame is the arm's base frame.
      for (const x of s.targets[arm]) assert.ok(stampOf(x.msg) === x.ns && x.msg.header.frame_id === `${arm}_base`);
      assert.equal(s.grippers[arm].length, ts.length);
    }
  });

  it('targets equal the newest chunk interpolated at the tick (the executor\'s interpolation), through the same safety filter', async () => {
    const s = await Scene.create(0.05, { start_enabled: true });
    await s.bus.run(sceneMessages(10, 11.5));
    let compared = 0;
    for (const arm of ['left', 'right'] as const) {
      const safety = new SafetyFilter((arm === 'left' ? s.left : s.right).pipeline.safety.limits);
      const measured = { t: [0.3, arm === 'left' ? 0.2 : -0.2, 0.2] as Vec3, q: [1, 0, 0, 0] as Quat };
      for (const { ns: time, seq, msg } of s.targets[arm]) {
        const arrived = s.chunks.filter((c) => c.seq < seq);
        const { chunk } = armChunkFrom(arrived[arrived.length - 1]!.msg, arm)!;
        assert.ok(time <= chunkEnd(chunk), 'a target without a covering chunk');
        const r = safety.filter(sampleChunk(chunk, time, 'hold', s.left.config.interpolation), time, { measured, otherArm: null });
        assert.ok(r.ok);
        assert.ok(distance(r.target.pose.t, pos(msg)) < 1e-9, `${arm} at ${time}`);
        assert.ok(angleBetween(r.target.pose.q, quat(msg)) < 1e-6);
        compared++;
      }
    }
    assert.ok(compared > 100, `compared ${compared}`);
    // Chunks carry the snapshot's observation time, older than their publication by the latency.
    for (const c of s.chunks) assert.ok(stampToNs(c.msg.header.stamp) <= c.ns - ns(0.05));
  });

  it('a stale camera stops new chunks; the executors hold within one tick after the last chunk ends, then recover', async () => {
    const s = await Scene.create(0.05, { start_enabled: true });
    await s.bus.run(sceneMessages(20, 24, { headUntil: 21 }));
    const lastBefore = s.chunks.filter((c) => c.time < 22).pop()!;
    assert.ok(s.chunks.every((c) => c.time < 21.3 || c.time > 24), 'a chunk was published from a stale camera');
    assert.ok((s.policy.refused.get('stale') ?? 0) > 0);
    const { chunk } = armChunkFrom(lastBefore.msg, 'left')!;
    const end = chunkEnd(chunk);
    const after = s.targets.left.filter((t) => t.ns > end);
    assert.ok(after.length > 0 && after[0]!.ns - end <= ns(0.02), 'no tick right after the chunk ended');
    // Holding republishes the last commanded pose with fresh stamps.
    const held = after.slice(0, 5).map((t) => pos(t.msg));
    for (const p of held) assert.ok(distance(p, held[0]!) < 1e-12);
    assert.equal(s.left.status, 'holding');
    assert.ok(s.logs.lines.some((l) => /left executor: no fresh chunk covers now; holding the last target/.test(l)));
    assert.equal(s.logs.lines.filter((l) => /left executor: no fresh chunk covers now; holding/.test(l)).length, 1, 'said once in the log');
    assert.equal(s.logs.lines.filter((l) => /camera head .* above its bound/.test(l)).length, 1, 'the refusal is said once');
    // The camera comes back: new chunks, commanding again.
    await s.bus.run(sceneMessages(24.02, 25, { withStatic: false }));
    assert.ok(s.chunks.some((c) => c.time > 24.02));
    assert.equal(s.left.status, 'commanding');
  });

  it('with on_no_chunk stop, nothing is published once the chunk runs out', async () => {
    const s = await Scene.create(0.05, { start_enabled: true, on_no_chunk: 'stop' });
    await s.bus.run(sceneMessages(30, 33, { headUntil: 31 }));
    const last = s.chunks[s.chunks.length - 1]!;
    const { chunk } = armChunkFrom(last.msg, 'right')!;
    const end = chunkEnd(chunk);
    assert.equal(s.targets.right.filter((t) => t.ns > end).length, 0);
    assert.equal(s.right.status, 'stopped');
  });

  it('re-enabling starts from the measured pose', async () => {
    const limit = 0.05; // m/s: the first step from the measured pose is at most limit x 0.02 s
    const s = await Scene.create(0.05, { start_enabled: true, 'safety.max_linear_speed': limit });
    await s.bus.run(sceneMessages(40, 41));
    s.bus.call('/twinvla_left_executor/enable', { data: false });
    const n = s.targets.left.length;
    // While disabled the arm is moved 10 cm along x.
    await s.bus.run(sceneMessages(41.02, 42, { withStatic: false, dx: () => 0.1 }));
    assert.equal(s.targets.left.length, n, 'published while disabled');
    s.bus.call('/twinvla_left_executor/enable', { data: true });
    await s.bus.run(sceneMessages(42.02, 42.5, { withStatic: false, dx: () => 0.1 }));
    const first = pos(s.targets.left[n]!.msg);
    const measured: Vec3 = [0.4, 0.2, 0.2];
    assert.ok(distance(first, measured) <= limit * 0.1 + 1e-9, `first target ${first} is ${distance(first, measured)} m from the measured pose`);
  });

  it('an inference that eats most of the chunk still gives smooth, in-limit targets', async () => {
    const lin = 0.3, ang = 1.0;
    const s = await Scene.create(0.9, {
      start_enabled: true, 'blending.mode': 'crossfade', 'safety.max_linear_speed': lin, 'safety.max_angular_speed': ang,
      'safety.workspace_min': [0, -0.6, 0], 'safety.workspace_max': [0.7, 0.6, 0.6],
    });
    await s.bus.run(sceneMessages(50, 56));
    assert.ok(s.chunks.length >= 3);
    assert.ok(s.left.pipeline.timeline.droppedSteps > 30, 'late steps are dropped and counted');
    for (const arm of ['left', 'right'] as const) {
      const ts = s.targets[arm];
      assert.ok(ts.length > 100, `${ts.length} targets`);
      for (let i = 1; i < ts.length; i++) {
        const dt = ts[i]!.time - ts[i - 1]!.time;
        assert.ok(distance(pos(ts[i]!.msg), pos(ts[i - 1]!.msg)) <= lin * Math.min(dt, 0.1) + 1e-9);
        assert.ok(angleBetween(quat(ts[i]!.msg), quat(ts[i - 1]!.msg)) <= ang * Math.min(dt, 0.1) + 1e-6);
        assert.ok(pos(ts[i]!.msg).every((v, k) => v >= [0, -0.6, 0][k]! && v <= [0.7, 0.6, 0.6][k]!));
      }
    }
  });

  it('an inference slower than the whole chunk commands nothing from it: the chunk is refused as stale', async () => {
    const s = await Scene.create(1.5, { start_enabled: true });
    await s.bus.run(sceneMessages(70, 74));
    assert.ok(s.chunks.length >= 2);
    assert.equal(s.targets.left.length, 0);
    assert.equal(s.left.pipeline.timeline.staleChunks, s.chunks.length);
  });

  it('a chunk older than the newest is refused as out of order, counted in the executor\'s diagnostics', async () => {
    const s = await Scene.create(0.05, { start_enabled: true });
    await s.bus.run(sceneMessages(80, 81.5));
    assert.ok(s.chunks.length >= 3);
    const executorStatus: { time: number; values: Record<string, string> }[] = [];
    s.bus.taps.push((topic, _t, time, msg) => {
      const st = (msg as { status?: { name: string; values: { key: string; value: string }[] }[] }).status?.[0];
      if (topic === '/diagnostics' && st?.name === '/twinvla_left_executor: left executor') executorStatus.push({ time: nsToSeconds(time), values: Object.fromEntries(st.values.map((v) => [v.key, v.value])) });
    });
    const old = { topic: '/twinvla/action_chunk', type: 'twinvla/msg/ActionChunk', time: ns(81.55), message: s.chunks[0]!.msg };
    const before = s.left.chunksReceived;
    await s.bus.run([old, ...sceneMessages(81.52, 82.5, { withStatic: false })].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0)));
    assert.equal(s.left.pipeline.timeline.outOfOrderChunks, 1);
    assert.ok(s.left.chunksReceived > before);
    const last = executorStatus[executorStatus.length - 1];
    assert.ok(last && last.time > 81.55, `executor statuses at ${executorStatus.map((x) => x.time).join(', ')}`);
    assert.equal(last.values['out_of_order_chunks'], '1');
  });

  it('publishes diagnostics: latency, rates, refusals by reason as counted, provider', async () => {
    const s = await Scene.create(0.05, { start_enabled: true });
    type Status = { name: string; message: string; values: { key: string; value: string }[] };
    // Each policy status with the node's refusal counts at the moment it was published.
    const published: { time: number; status: Status; counted: Map<string, number> }[] = [];
    s.bus.taps.push((topic, _t, time, msg) => {
      const status = (msg as { status?: Status[] }).status?.[0];
      if (topic === '/diagnostics' && status?.name === '/twinvla_policy: policy') published.push({ time: nsToSeconds(time), status, counted: new Map(s.policy.refused) });
    });
    // The head camera stops at 62.2 s: from 62.4 s (max_age.camera 0.2 s) every retry is refused as stale.
    await s.bus.run(sceneMessages(60, 64.5, { headUntil: 62.2 }));
    assert.ok(published.length >= 3, `${published.length} policy statuses`);
    for (const { status, counted } of published) {
      const kv = Object.fromEntries(status.values.map((v) => [v.key, v.value]));
      for (const reason of ['missing', 'stale', 'future', 'invalid']) assert.equal(kv[`refused.${reason}`], String(counted.get(reason) ?? 0), `refused.${reason}`);
    }
    const staleCounts = published.map(({ status }) => Number(status.values.find((v) => v.key === 'refused.stale')?.value));
    assert.equal(staleCounts[0], 0, 'no stale refusal while the camera runs');
    assert.ok(staleCounts[staleCounts.length - 1]! > 0, `stale refusals: ${staleCounts.join(', ')}`);
    for (let i = 1; i < staleCounts.length; i++) assert.ok(staleCounts[i]! >= staleCounts[i - 1]!);
    const last = published[published.length - 1]!.status;
    const kv = Object.fromEntries(last.values.map((v) => [v.key, v.value]));
    assert.match(kv['last_refusal'] ?? '', /^snapshot refused: camera head \(\/cam_high\/image_raw\): latest sample is \d+ ms old, above its bound of 200 ms\.$/);
    assert.match(last.message, /^no chunk for \d+\.\d s: snapshot refused: camera head/);
    // The last status while the head camera ran: a full second of rates.
    const running = published.filter((p) => p.time <= 62.2);
    assert.ok(running.length >= 2, `statuses at ${published.map((p) => p.time).join(', ')}`);
    const first = Object.fromEntries(running[running.length - 1]!.status.values.map((v) => [v.key, v.value]));
    assert.equal(first['execution_provider'], 'cpu');
    assert.equal(first['inference_latency_p50_ms'], '50'); // exactly: times are whole nanoseconds
    // Frame age: each chunk's stamp (its snapshot's oldest input) to the start of its inference, 50 ms
    // before it was published; p50 and p95 over the chunks published before this status.
    const statusTime = running[running.length - 1]!.time;
    const ages = new Window();
    for (const c of s.chunks) {
      assert.notEqual(c.time, statusTime);
      if (c.time < statusTime) ages.push(c.time - 0.05 - nsToSeconds(stampToNs(c.msg.header.stamp)));
    }
    assert.ok(ages.count >= 10, `${ages.count} chunks`);
    assert.ok(ages.quantile(0.5) > 0);
    assert.ok(Math.abs(Number(first['frame_age_p50_ms']) - ages.quantile(0.5) * 1e3) <= 5e-4, `frame_age_p50_ms ${first['frame_age_p50_ms']}, expected ${ages.quantile(0.5) * 1e3}`);
    assert.ok(Math.abs(Number(first['frame_age_p95_ms']) - ages.quantile(0.95) * 1e3) <= 5e-4, `frame_age_p95_ms ${first['frame_age_p95_ms']}, expected ${ages.quantile(0.95) * 1e3}`);
    assert.ok(Math.abs(Number(first['rate_hz./cam_high/image_raw']) - 16.7) < 1.5);
    assert.ok(Number(first['age_ms.camera head (/cam_high/image_raw)']) >= 0 && Number(first['age_ms.camera head (/cam_high/image_raw)']) <= 200);
  });
});
