#!/usr/bin/env bash
# Every test: the mocha suites (TypeScript, compiled to dist/ by `npm test`) and the tools' pytest
# suites, then one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup-venv.sh || { echo "could not set up the Python tools (tools/setup-venv.sh)"; exit 1; }

mocha_log="$(mktemp)"; pytest_log="$(mktemp)"
npx --no-install mocha 2>&1 | tee "$mocha_log"
mocha_status=${PIPESTATUS[0]}
.venv/bin/python -m pytest -q test/tools 2>&1 | tee "$pytest_log"
pytest_status=${PIPESTATUS[0]}

count() { grep -Eo "[0-9]+ $1" "$2" | tail -1 | cut -d' ' -f1; }
passed=$(( $(count passing "$mocha_log" || echo 0) + $(count passed "$pytest_log" || echo 0) ))
failed=$(( $(count failing "$mocha_log" || echo 0) + $(count failed "$pytest_log" || echo 0) ))
rm -f "$mocha_log" "$pytest_log"
if [[ $mocha_status -ne 0 || $pytest_status -ne 0 ]] && [[ $failed -eq 0 ]]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[[ $mocha_status -eq 0 && $pytest_status -eq 0 ]]
