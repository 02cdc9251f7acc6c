/**
 * The message definitions the package reads and writes, as ROS 2 publishes them (rosidl .msg text),
 * used when a bag carries no schema of its own (rosbag2 sqlite before Iron) and to write MCAP the way
 * `ros2 bag record` does: the type's definition followed by each dependency after a line of '='.
 * twinvla's own messages are read from msg/ so that there is one source for them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PACKAGE_ROOT } from '../paths.js';

const COMMON: Record<string, string> = {
  'builtin_interfaces/msg/Time': 'int32 sec\nuint32 nanosec',
  'std_msgs/msg/Header': 'builtin_interfaces/Time stamp\nstring frame_id',
  'std_msgs/msg/String': 'string data',
  'std_msgs/msg/Float64': 'float64 data',
  'sensor_msgs/msg/Image': 'std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data',
  'sensor_msgs/msg/CompressedImage': 'std_msgs/Header header\nstring format\nuint8[] data',
  'sensor_msgs/msg/JointState': 'std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort',
  'geometry_msgs/msg/Point': 'float64 x\nfloat64 y\nfloat64 z',
  'geometry_msgs/msg/Vector3': 'float64 x\nfloat64 y\nfloat64 z',
  'geometry_msgs/msg/Quaternion': 'float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1',
  'geometry_msgs/msg/Pose': 'Point position\nQuaternion orientation',
  'geometry_msgs/msg/PoseStamped': 'std_msgs/Header header\nPose pose',
  'geometry_msgs/msg/Transform': 'Vector3 translation\nQuaternion rotation',
  'geometry_msgs/msg/TransformStamped': 'std_msgs/Header header\nstring child_frame_id\nTransform transform',
  'tf2_msgs/msg/TFMessage': 'geometry_msgs/TransformStamped[] transforms',
  'nav_msgs/msg/Path': 'std_msgs/Header header\ngeometry_msgs/PoseStamped[] poses',
  'diagnostic_msgs/msg/KeyValue': 'string key\nstring value',
  'diagnostic_msgs/msg/DiagnosticStatus':
    'byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\nbyte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values',
  'diagnostic_msgs/msg/DiagnosticArray': 'std_msgs/Header header\nDiagnosticStatus[] status',
  'rosgraph_msgs/msg/Clock': 'builtin_interfaces/Time clock',
};

const OWN = ['ActionChunk', 'ArmChunk'];

function ownDefinition(name: string): string {
  const text = readFileSync(join(PACKAGE_ROOT, 'msg', `${name}.msg`), 'utf8');
  // Comments and blank lines carry no type information.
  return text.split('\n').map((l) => l.replace(/#.*$/, '').trimEnd()).filter((l) => l.length > 0).join('\n');
}

/** `pkg/msg/Name` or `pkg/Name` -> `pkg/msg/Name`. */
export function fullName(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

export function ownText(type: string): string | undefined {
  const full = fullName(type);
  if (COMMON[full]) return COMMON[full];
  const [pkg, , name] = full.split('/');
  if (pkg === 'twinvla' && name && OWN.includes(name)) return ownDefinition(name);
  return undefined;
}

const PRIMITIVES = new Set(['bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring']);

/** The field types of a definition, resolved to `pkg/msg/Name`. */
function dependencies(type: string, text: string): string[] {
  const pkg = fullName(type).split('/')[0];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fieldType = line.trim().split(/\s+/)[0]?.replace(/\[.*\]$/, '').replace(/<=?\d+$/, '');
    if (!fieldType || PRIMITIVES.has(fieldType) || line.includes('=')) continue;
    out.push(fieldType.includes('/') ? fullName(fieldType) : `${pkg}/msg/${fieldType}`);
  }
  return out;
}

const cache = new Map<string, string | undefined>();

/** The `ros2msg` schema text of a type with its dependencies, or undefined for an unknown type. */
export function schemaText(type: string): string | undefined {
  if (!cache.has(type)) cache.set(type, buildSchemaText(type));
  return cache.get(type);
}

function buildSchemaText(type: string): string | undefined {
  const root = ownText(type);
  if (root === undefined) return undefined;
  const parts = [root];
  const seen = new Set([fullName(type)]);
  const queue = dependencies(type, root);
  while (queue.length > 0) {
    const dep = queue.shift() as string;
    if (seen.has(dep)) continue;
    seen.add(dep);
    const text = ownText(dep);
    if (text === undefined) return undefined;
    const [p, , n] = dep.split('/');
    parts.push(`${'='.repeat(80)}\nMSG: ${p}/${n}\n${text}`);
    queue.push(...dependencies(dep, text));
  }
  return parts.join('\n');
}

export function knownTypes(): string[] {
  return [...Object.keys(COMMON), ...OWN.map((n) => `twinvla/msg/${n}`)];
}
