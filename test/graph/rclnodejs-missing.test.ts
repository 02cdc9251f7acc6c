import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';

import { RclnodejsHost } from '../../src/graph/rclnodejs.js';
import { rejection } from '../helpers.js';

function rclnodejsInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('rclnodejs');
    return true;
  } catch {
    return false;
  }
}

describe('rclnodejs graph without ROS 2', () => {
  it('fails with one message saying how to source ROS 2 and build rclnodejs', async function () {
    if (rclnodejsInstalled()) this.skip();
    const e = await rejection(RclnodejsHost.start([], new Set()));
    assert.equal(e.code, 'ROS');
    assert.match(e.message, /^rclnodejs could not be loaded, so the live ROS 2 graph is not available\. Source ROS 2 \(for example `source \/opt\/ros\/jazzy\/setup\.bash`\), then build the binding .*`npm rebuild rclnodejs`/);
  });
});
