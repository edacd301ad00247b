#!/usr/bin/env bash
# Runs every test: the Swift test suites (real sockets, real SQLite files), the fuzz targets on
# their seeds, and the discord.py interop suite (a Python venv with discord.py from PyPI, created
# on first use).
#
#   Tools/test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

swift build --build-tests
swift test --skip-build

# The fuzz targets, built without the sanitizer, replay their committed seeds (seconds; the
# libFuzzer runs themselves are Tools/fuzz/run.sh, see Tools/README.md).
bin="$(swift build --show-bin-path)"
for target in json recording frame http; do "$bin/fuzz-$target" "Tools/fuzz/corpus/$target"; done

GATEWAYTAPE_BIN="$(swift build --show-bin-path)/gatewaytape" Tools/interop/run.sh
