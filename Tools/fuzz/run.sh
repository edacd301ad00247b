#!/usr/bin/env bash
# Builds the libFuzzer targets with AddressSanitizer (scratch folder .build-fuzz, so the debug
# build stays intact) and runs each for SECONDS on its seed corpus.
#
#   Tools/fuzz/run.sh [SECONDS] [TARGET...]     # default: 60 s each, every target
#
# New inputs libFuzzer finds go to .build-fuzz/corpus/TARGET (the committed seeds in
# Tools/fuzz/corpus/ are only read); a crash is written to .build-fuzz/crashes/ and fails the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

seconds="${1:-60}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(fuzz-json fuzz-recording fuzz-frame fuzz-http); fi

# A crash is libFuzzer's to report: Swift's backtracer would hold the process (and the run) for 30 s.
export SWIFT_BACKTRACE=enable=no
flags=(--scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
mkdir -p .build-fuzz/crashes
for target in "${targets[@]}"; do
    case "$target" in
        fuzz-json) seeds=Tools/fuzz/corpus/json max_len=4096 ;;
        fuzz-recording) seeds=Tools/fuzz/corpus/recording max_len=65536 ;;
        fuzz-frame) seeds=Tools/fuzz/corpus/frame max_len=5000 ;;
        fuzz-http) seeds=Tools/fuzz/corpus/http max_len=8192 ;;
        *) echo "fuzz: unknown target $target (fuzz-json, fuzz-recording, fuzz-frame, fuzz-http)" >&2; exit 2 ;;
    esac
    swift build "${flags[@]}" --product "$target"
    bin="$(swift build "${flags[@]}" --show-bin-path)"
    mkdir -p ".build-fuzz/corpus/$target"
    echo "fuzz: $target for $seconds s" >&2
    "$bin/$target" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$target-" ".build-fuzz/corpus/$target" "$seeds"
done
