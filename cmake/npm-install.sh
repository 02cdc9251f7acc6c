#!/usr/bin/env bash
# colcon's npm step (CMakeLists.txt): the package's node modules in the source folder, with the
# optional rclnodejs built against the ROS 2 that is sourced for the build.
#
# A source folder whose node_modules already holds what the lock says (npm records the tree it
# installed in node_modules/.package-lock.json) is reused: `npm install --no-save` only adds what is
# missing (rclnodejs, which an `npm ci` without ROS 2 skips) and leaves package-lock.json alone.
# A folder without node_modules gets a clean `npm ci`.
set -euo pipefail
cd "$1"
# rclnodejs's install step runs `npx rimraf`: answer npx's question instead of cancelling.
export npm_config_yes=true
# ROS 2 from PyPI wheels (tools/ros2/provision.sh): rclnodejs's message generation loads
# librcl_lifecycle, which needs Python's symbols in the process (shared/ROS2-FROM-PYPI.md).
if [[ -n "${TWINVLA_NODE_PRELOAD:-}" ]]; then export LD_PRELOAD="$TWINVLA_NODE_PRELOAD"; fi

if [[ -f node_modules/.package-lock.json ]]; then
  npm install --no-save --no-audit --no-fund
else
  npm ci --no-audit --no-fund
fi
if [[ ! -f node_modules/rclnodejs/package.json ]]; then
  echo "twinvla: rclnodejs did not build against ROS 2 ${ROS_DISTRO:-(none sourced)}; see npm's output above" \
       "(source ROS 2 before colcon build; a C++ compiler and python3 are needed)" >&2
  exit 1
fi
