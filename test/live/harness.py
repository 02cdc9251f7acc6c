"""The live test's side of the ROS 2 graph, in rclpy: a bag player with /clock, a recorder of what the
twinvla nodes publish, the lifecycle and ~/enable clients, and the node processes themselves.

ros2 bag, ros2 launch and the ros2 CLI are not on PyPI (shared/ROS2-FROM-PYPI.md): these stand in.
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from mcap.reader import make_reader
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Float64
from std_srvs.srv import SetBool

NS = 1_000_000_000


def message_class(type_name: str):
    """sensor_msgs/msg/Image -> the rclpy class."""
    package, kind, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.{kind}'), name)


def stamp_ns(t: Time) -> int:
    return t.sec * NS + t.nanosec


@dataclass
class BagWindow:
    """A bag's messages from start_s to end_s (seconds after the bag's first message), still CDR."""
    path: str
    start_s: float
    end_s: float
    messages: list = field(default_factory=list)  # (log time ns, topic, type, cdr bytes)
    t0: int = 0
    t1: int = 0

    def load(self) -> 'BagWindow':
        with open(self.path, 'rb') as f:
            reader = make_reader(f)
            first = reader.get_summary().statistics.message_start_time
            self.t0, self.t1 = first + round(self.start_s * NS), first + round(self.end_s * NS)
            for schema, channel, message in reader.iter_messages(log_time_order=True):
                static = channel.topic == '/tf_static'
                if static and message.log_time < self.t1 or self.t0 <= message.log_time < self.t1:
                    self.messages.append((max(message.log_time, self.t0), channel.topic, schema.name, bytes(message.data)))
        self.messages.sort(key=lambda m: m[0])
        return self


class Player:
    """Plays a BagWindow at 1x with /clock at clock_hz in bag time, as `ros2 bag play --clock 100`.
    gaps: {topic: (from_s, to_s)} withholds a topic for a while (seconds after the window's start)."""

    def __init__(self, node: Node, window: BagWindow, clock_hz: float = 100.0, gaps: dict | None = None):
        self.node, self.window, self.period = node, window, round(NS / clock_hz)
        self.gaps = {t: (window.t0 + round(a * NS), window.t0 + round(b * NS)) for t, (a, b) in (gaps or {}).items()}
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.clock = node.create_publisher(Clock, '/clock', 10)
        self.pubs = {}
        for _, topic, type_name, _ in window.messages:
            if topic not in self.pubs:
                self.pubs[topic] = node.create_publisher(message_class(type_name), topic, latched if topic == '/tf_static' else reliable)
        self.done = threading.Event()
        self.wall_start = 0.0

    def publish_clock(self, t: int) -> None:
        self.clock.publish(Clock(clock=Time(sec=t // NS, nanosec=t % NS)))

    def run(self) -> None:
        w = self.window
        ticks = range(w.t0, w.t1, self.period)
        events = sorted([(t, 0, None) for t in ticks] + [(m[0], 1, m) for m in w.messages], key=lambda e: (e[0], e[1]))
        self.wall_start = time.monotonic()
        for t, kind, m in events:
            delay = self.wall_start + (t - w.t0) / NS - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if kind == 0:
                self.publish_clock(t)
                continue
            _, topic, _, data = m
            gap = self.gaps.get(topic)
            if gap and gap[0] <= t < gap[1]:
                continue
            self.pubs[topic].publish(data)
        self.done.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


class Recorder:
    """Everything the twinvla nodes publish, with the bag time (/clock) at reception."""

    def __init__(self, node: Node, arms=('left', 'right'), chunk_type: str = 'twinvla/msg/ActionChunk'):
        self.node = node
        self.lock = threading.Lock()
        self.targets = {a: [] for a in arms}   # (stamp ns, frame, (x, y, z), (x, y, z, w), received wall s)
        self.grippers = {a: [] for a in arms}  # (received bag ns, value)
        self.chunks = []                       # (stamp ns, received bag ns, message)
        self.diagnostics = []                  # (name, level, message, {key: value})
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        for a in arms:
            node.create_subscription(PoseStamped, f'/twinvla_{a}_executor/target_pose', lambda m, a=a: self._target(a, m), reliable)
            node.create_subscription(Float64, f'/twinvla_{a}_executor/gripper_command', lambda m, a=a: self._gripper(a, m), reliable)
        node.create_subscription(message_class(chunk_type), '/twinvla_policy/action_chunk', self._chunk, reliable)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics, reliable)

    def now(self) -> int:
        return self.node.get_clock().now().nanoseconds

    def _target(self, arm, m: PoseStamped) -> None:
        p, q = m.pose.position, m.pose.orientation
        with self.lock:
            self.targets[arm].append((stamp_ns(m.header.stamp), m.header.frame_id, (p.x, p.y, p.z), (q.x, q.y, q.z, q.w), time.monotonic()))

    def _gripper(self, arm, m: Float64) -> None:
        with self.lock:
            self.grippers[arm].append((self.now(), m.data))

    def _chunk(self, m) -> None:
        with self.lock:
            self.chunks.append((stamp_ns(m.header.stamp), self.now(), m))

    def _diagnostics(self, m: DiagnosticArray) -> None:
        with self.lock:
            for s in m.status:
                self.diagnostics.append((s.name, s.level if isinstance(s.level, int) else s.level[0], s.message, {kv.key: kv.value for kv in s.values}))


class Clients:
    """The lifecycle services of the policy node and the executors' ~/enable."""

    def __init__(self, node: Node):
        self.node = node
        self.change = node.create_client(ChangeState, '/twinvla_policy/change_state')
        self.get = node.create_client(GetState, '/twinvla_policy/get_state')
        self.enables = {a: node.create_client(SetBool, f'/twinvla_{a}_executor/enable') for a in ('left', 'right')}

    def _call(self, client, request, timeout: float):
        if not client.wait_for_service(timeout_sec=timeout):
            raise TimeoutError(f'{client.srv_name}: no service after {timeout} s')
        future = client.call_async(request)
        deadline = time.monotonic() + timeout
        while not future.done():
            if time.monotonic() > deadline:
                raise TimeoutError(f'{client.srv_name}: no answer after {timeout} s')
            time.sleep(0.01)
        return future.result()

    def transition(self, transition_id: int, timeout: float = 120.0) -> bool:
        return self._call(self.change, ChangeState.Request(transition=Transition(id=transition_id)), timeout).success

    def state(self, timeout: float = 30.0) -> str:
        return self._call(self.get, GetState.Request(), timeout).current_state.label

    def enable(self, arm: str, on: bool, timeout: float = 30.0) -> SetBool.Response:
        return self._call(self.enables[arm], SetBool.Request(data=on), timeout)


class Graph:
    """One rclpy context and node (use_sim_time) spinning in a thread, for the test's side."""

    def __init__(self, name: str = 'twinvla_live_test'):
        rclpy.init()
        self.node = Node(name, parameter_overrides=[Parameter('use_sim_time', Parameter.Type.BOOL, True)])
        self.executor = MultiThreadedExecutor(num_threads=4)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown()


class NodeProcess:
    """One installed twinvla executable (lib/twinvla/<name>) with its ROS arguments; output to a log."""

    def __init__(self, install: str, executable: str, ros_args: list[str], log_path: str):
        self.log_path = log_path
        self.log = open(log_path, 'w')
        self.proc = subprocess.Popen([os.path.join(install, 'lib', 'twinvla', executable), '--ros-args', *ros_args],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def interrupt(self, timeout: float = 20.0) -> tuple[int, float]:
        """SIGINT, as Ctrl-C or ros2 launch sends it; returns (exit status, seconds to exit)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        self.log.close()
        return code, time.monotonic() - started

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
