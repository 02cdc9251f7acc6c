#!/usr/bin/env bash
# Every test: the mocha suites (TypeScript, compiled to dist/ by `npm test`) and the tools' pytest
# suites, then the live test on ROS 2 Jazzy (test/live/run.sh), then one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup-venv.sh || { echo "could not set up the Python tools (tools/setup-venv.sh)"; exit 1; }

mocha_log="$(mktemp)"; pytest_log="$(mktemp)"
npx --no-install mocha 2>&1 | tee "$mocha_log"
mocha_status=${PIPESTATUS[0]}
.venv/bin/python -m pytest -q test/tools 2>&1 | tee "$pytest_log"
pytest_status=${PIPESTATUS[0]}

# The live test on ROS 2 Jazzy (test/live/run.sh): CI always runs it; a helper iterating on other
# things may set TWINVLA_SKIP_LIVE=1, and is told so loudly.
live_log="$(mktemp)"; live_status=0
if [[ "${TWINVLA_SKIP_LIVE:-}" == 1 ]]; then
  printf '\n%s\n%s\n%s\n\n' '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' \
    '!!! LIVE TEST SKIPPED (TWINVLA_SKIP_LIVE=1): the ROS 2 graph was NOT tested.   !!!' \
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
else
  test/live/run.sh 2>&1 | tee "$live_log"
  live_status=${PIPESTATUS[0]}
fi

count() { grep -Eo "[0-9]+ $1" "$2" | tail -1 | cut -d' ' -f1; }
passed=$(( $(count passing "$mocha_log" || echo 0) + $(count passed "$pytest_log" || echo 0) + $(count passed "$live_log" || echo 0) ))
failed=$(( $(count failing "$mocha_log" || echo 0) + $(count failed "$pytest_log" || echo 0) + $(count failed "$live_log" || echo 0) ))
rm -f "$mocha_log" "$pytest_log" "$live_log"
if [[ $mocha_status -ne 0 || $pytest_status -ne 0 || $live_status -ne 0 ]] && [[ $failed -eq 0 ]]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[[ $mocha_status -eq 0 && $pytest_status -eq 0 && $live_status -eq 0 ]]
