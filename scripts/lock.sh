#!/usr/bin/env bash
# Write the lock files the README's commands and CI install from, from pyproject.toml:
#   requirements/run.txt    building the samples (and any use of the command line)
#   requirements/test.txt   the test suite and the checks (a superset of run.txt)
# Every package, build backend included, at an exact version with its hashes.
#
#   scripts/lock.sh                              keep every version that still fits
#   scripts/lock.sh --upgrade-package weasyprint   move one package (and what it needs)
#   scripts/lock.sh --upgrade                    move everything
# Then run `scripts/setup.sh test`; a new lock lands only when CI passes on it.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=.venv-lock
if [ ! -x "$tools/bin/pip-compile" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet "pip-tools>=7.4,<8"
fi
compile=("$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras
         --no-emit-index-url --no-emit-find-links --build-deps-for wheel "$@")
"${compile[@]}" --output-file requirements/run.txt pyproject.toml
"${compile[@]}" --extra test --constraint requirements/run.txt \
  --output-file requirements/test.txt pyproject.toml
