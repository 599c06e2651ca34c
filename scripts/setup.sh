#!/usr/bin/env bash
# Set up everything handouts needs on Debian/Ubuntu, then do one job:
#   scripts/setup.sh samples   build the sample handouts and cards into ./dist
#   scripts/setup.sh test      run the whole test suite
# Safe to run again: it installs only what is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
job="${1:-}"
case "$job" in
  samples|test) ;;
  *) echo "usage: scripts/setup.sh samples|test" >&2; exit 2 ;;
esac

# System libraries WeasyPrint loads at run time (Pango, HarfBuzz), and venv support;
# the tests also drive Debian's Chromium (Playwright cannot download a browser here).
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 python3-venv)
if [ "$job" = test ]; then
  packages+=(chromium)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "handouts needs Python 3.11 or newer; $("$python" --version 2>&1) found." >&2
  echo "Install a newer python3, or set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

# The Noto fonts for every script, from Debian's archive, checked against their pins
# (handouts/fonts/sources.toml); downloaded once, then kept in ~/.cache/handouts.
"$python" scripts/fetch_fonts.py

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Exact versions with their hashes from the lock file (scripts/lock.sh writes it); then
# handouts itself, built with the locked setuptools.
lock=requirements/run.txt
[ "$job" = test ] && lock=requirements/test.txt
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" --require-hashes --no-deps -r "$lock"
"${pip[@]}" --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check --disable-pip-version-check >/dev/null

case "$job" in
  samples)
    .venv/bin/handouts build --all --site --out dist
    ;;
  test)
    # The checks a maintainer runs before every commit, then the whole suite.
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    .venv/bin/python -m pytest
    ;;
esac
