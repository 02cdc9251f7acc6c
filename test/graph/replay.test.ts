import { strict as assert } from 'node:assert';

import { ReplayBus } from '../../src/graph/replay.js';
import { rejection } from '../helpers.js';

describe('replay graph', () => {
  it('refuses a source out of log-time order with an input error naming the message', async () => {
    const bus = new ReplayBus({ latency: 0, logLevel: 'silent' });
    const seen: number[] = [];
    bus.node('listener').subscribe<{ data: number }>('/x', 'std_msgs/msg/Float64', 'reliable', (m) => seen.push(m.data));
    const e = await rejection(bus.run([
      { topic: '/x', type: 'std_msgs/msg/Float64', time: 2_000_000_000n, message: { data: 1 } },
      { topic: '/x', type: 'std_msgs/msg/Float64', time: 1_500_000_000n, message: { data: 2 } },
    ]));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^replay source is not in log-time order: \/x at 1\.500000000 s after a message at 2\.000000000 s; sort the messages by log time/);
    assert.deepEqual(seen, [1], 'the message out of order was not delivered');
  });
});
