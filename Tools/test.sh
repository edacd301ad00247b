#!/usr/bin/env bash
# Runs every test: the Swift test suites (real sockets, real SQLite files) and the discord.py
# interop suite (a Python venv with discord.py from PyPI, created on first use).
#
#   Tools/test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

swift build --build-tests
swift test --skip-build

GATEWAYTAPE_BIN="$(swift build --show-bin-path)/gatewaytape" Tools/interop/run.sh
