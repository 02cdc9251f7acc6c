/**
 * ROS 2 messages as plain objects: the shapes that rclnodejs and Foxglove's CDR reader both give
 * (`{header: {stamp: {sec, nanosec}, frame_id}, ...}`, typed or plain arrays for numeric arrays).
 * Declared once here; observe/, act/, node/, graph/ and bag/ all speak these.
 */
export interface Time {
  sec: number;
  nanosec: number;
}

export interface Header {
  stamp: Time;
  frame_id: string;
}

export type NumericArray = ArrayLike<number>;

/** sensor_msgs/msg/Image */
export interface Image {
  header: Header;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Uint8Array | number[];
}

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImage {
  header: Header;
  format: string;
  data: Uint8Array | number[];
}

/** sensor_msgs/msg/JointState */
export interface JointState {
  header: Header;
  name: string[];
  position: NumericArray;
  velocity: NumericArray;
  effort: NumericArray;
}

export interface Vector3 { x: number; y: number; z: number }
export interface Point { x: number; y: number; z: number }
export interface QuaternionMsg { x: number; y: number; z: number; w: number }
export interface PoseMsg { position: Point; orientation: QuaternionMsg }
export interface TransformMsg { translation: Vector3; rotation: QuaternionMsg }

/** geometry_msgs/msg/TransformStamped */
export interface TransformStamped {
  header: Header;
  child_frame_id: string;
  transform: TransformMsg;
}

/** tf2_msgs/msg/TFMessage */
export interface TFMessage {
  transforms: TransformStamped[];
}

/** geometry_msgs/msg/PoseStamped */
export interface PoseStamped {
  header: Header;
  pose: PoseMsg;
}

/** std_msgs/msg/Float64 */
export interface Float64 {
  data: number;
}

/** std_msgs/msg/String */
export interface StringMsg {
  data: string;
}

/** twinvla/msg/ArmChunk */
export interface ArmChunkMsg {
  name: string;
  frame_id: string;
  poses: PoseMsg[];
  gripper: NumericArray;
}

/** twinvla/msg/ActionChunk */
export interface ActionChunkMsg {
  header: Header;
  model: string;
  dt: number;
  horizon: number;
  arms: ArmChunkMsg[];
}

/** diagnostic_msgs/msg/KeyValue */
export interface KeyValue {
  key: string;
  value: string;
}

/** diagnostic_msgs/msg/DiagnosticStatus; level: 0 OK, 1 WARN, 2 ERROR, 3 STALE. */
export interface DiagnosticStatus {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

/** diagnostic_msgs/msg/DiagnosticArray */
export interface DiagnosticArray {
  header: Header;
  status: DiagnosticStatus[];
}

/** std_srvs/srv/SetBool */
export interface SetBoolRequest { data: boolean }
export interface SetBoolResponse { success: boolean; message: string }
