#!/usr/bin/env bash
# Builds twinvla with colcon as the README tells a user to, in a workspace whose src/twinvla is this
# checkout: `colcon build --packages-select twinvla` (extra arguments are passed on, for example
# --symlink-install). ROS 2 must be sourced (tools/ros2/provision.sh). Prints the workspace folder.
#   TWINVLA_ROS_WS  the workspace folder (default: out/ros-ws in this checkout)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
ws="${TWINVLA_ROS_WS:-$root/out/ros-ws}"
mkdir -p "$ws/src"
ln -sfn "$root" "$ws/src/twinvla"
started=$SECONDS
if ! (cd "$ws" && colcon build --packages-select twinvla --event-handlers console_cohesion- summary- "$@" >"$ws/colcon.log" 2>&1); then
  tail -60 "$ws/colcon.log" >&2
  echo "colcon build failed: the whole log is $ws/colcon.log and $ws/log/latest_build/twinvla/" >&2
  exit 1
fi
echo "colcon build of twinvla: $((SECONDS - started)) s ($ws)" >&2
echo "$ws"
