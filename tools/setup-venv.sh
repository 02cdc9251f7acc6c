#!/usr/bin/env bash
# Creates .venv with the tools' pinned dependencies, once: a stamp of requirements.txt skips the
# install when nothing changed. torch==2.13.0 resolves to the CPU build on this project's machines.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
STAMP=.venv/.requirements.sha256
WANT="$(sha256sum tools/requirements.txt | cut -d' ' -f1)"
if [[ -x .venv/bin/python && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  exit 0
fi
echo "setting up the Python tools in .venv (tools/requirements.txt)..." >&2
"$PY" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
echo "$WANT" > "$STAMP"
