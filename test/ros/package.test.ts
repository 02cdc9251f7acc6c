import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from '../helpers.js';

const xml = readFileSync(join(ROOT, 'package.xml'), 'utf8');
const cmake = readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8');

describe('package.xml and CMakeLists.txt', () => {
  it('package.xml is format 3, ament_cmake, an interface package, with the message and runtime dependencies', () => {
    assert.match(xml, /<package format="3">/);
    assert.match(xml, /<name>twinvla<\/name>/);
    assert.match(xml, /<buildtool_depend>ament_cmake<\/buildtool_depend>/);
    assert.match(xml, /<buildtool_depend>rosidl_default_generators<\/buildtool_depend>/);
    assert.match(xml, /<exec_depend>rosidl_default_runtime<\/exec_depend>/);
    assert.match(xml, /<member_of_group>rosidl_interface_packages<\/member_of_group>/);
    assert.match(xml, /<build_type>ament_cmake<\/build_type>/);
    for (const dep of ['std_msgs', 'geometry_msgs', 'sensor_msgs', 'diagnostic_msgs', 'tf2_msgs', 'std_srvs']) {
      assert.match(xml, new RegExp(`<depend>${dep}</depend>`), dep);
    }
    for (const dep of ['launch', 'launch_ros']) assert.match(xml, new RegExp(`<exec_depend>${dep}</exec_depend>`), dep);
  });

  it('CMakeLists generates every message in msg/', () => {
    const listed = [...cmake.matchAll(/"msg\/([A-Za-z]+\.msg)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(listed, readdirSync(join(ROOT, 'msg')).filter((f) => f.endsWith('.msg')).sort());
    assert.match(cmake, /rosidl_generate_interfaces\(\$\{PROJECT_NAME\}/);
    assert.match(cmake, /DEPENDENCIES std_msgs geometry_msgs/);
  });

  it('CMakeLists runs the npm step and the TypeScript build, and installs code, modules, models, launch and params', () => {
    // C and C++: rosidl's type support libraries need a link language ("Cannot determine link language" with NONE).
    assert.match(cmake, /^project\(twinvla C CXX\)$/m);
    assert.match(cmake, /COMMAND \$\{CMAKE_CURRENT_SOURCE_DIR\}\/cmake\/npm-install\.sh/);
    assert.match(readFileSync(join(ROOT, 'cmake', 'npm-install.sh'), 'utf8'), /^\s*npm ci --no-audit --no-fund$/m);
    assert.match(cmake, /COMMAND \$\{NPM\} run build/);
    // A changed TypeScript source rebuilds dist/ (not only a changed lock).
    assert.match(cmake, /DEPENDS \$\{CMAKE_CURRENT_BINARY_DIR\}\/npm_install\.stamp \$\{TS_SOURCES\}/);
    for (const d of ['dist', 'node_modules', 'models', 'launch', 'params', 'bin']) {
      assert.match(cmake, new RegExp(`install\\(DIRECTORY ${d}/ DESTINATION share/\\$\\{PROJECT_NAME\\}/${d}`), d);
    }
    assert.match(cmake, /install\(FILES package\.json DESTINATION share\/\$\{PROJECT_NAME\}\)/);
    assert.match(cmake, /ament_package\(\)/);
  });

  it('package.json lets npm 11 run rclnodejs\'s install script (npm ci --allow-scripts is refused in a project)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    assert.deepEqual(pkg.allowScripts, { rclnodejs: true });
  });

  it('the executables find share/twinvla from their own path, unresolved (--symlink-install links them to the source)', () => {
    for (const exe of ['bringup', 'policy_node', 'arm_executor', 'twinvla']) {
      const text = readFileSync(join(ROOT, 'ros', exe), 'utf8');
      assert.ok(!text.includes('readlink'), exe);
      assert.match(text, /share="\$\(cd "\$\(dirname "\$0"\)\/\.\.\/\.\.\/share\/twinvla" && pwd\)"/, exe);
    }
  });

  it('ActionChunk carries the observation stamp, dt, the model and per-arm frames, poses and grippers', () => {
    const chunk = readFileSync(join(ROOT, 'msg', 'ActionChunk.msg'), 'utf8');
    const arm = readFileSync(join(ROOT, 'msg', 'ArmChunk.msg'), 'utf8');
    for (const field of ['std_msgs/Header header', 'string model', 'float64 dt', 'uint32 horizon', 'ArmChunk[] arms']) assert.ok(chunk.includes(field), field);
    for (const field of ['string name', 'string frame_id', 'geometry_msgs/Pose[] poses', 'float64[] gripper']) assert.ok(arm.includes(field), field);
  });
});
