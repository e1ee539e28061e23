#!/usr/bin/env bash
# run-fuzzer.sh BINARY CORPUS SECONDS: runs a libFuzzer target for SECONDS on a copy of CORPUS
# (new inputs stay out of the repository); fails when BINARY is not built (`make fuzzers`, which
# `make test` runs first): a fuzzer that did not run is not a pass. Else the fuzzer's status. A crash leaves its input in the working directory.
set -euo pipefail
binary=$1 corpus=$2 seconds=$3
if [[ ! -x $binary ]]; then
    echo "fuzzer $binary not built (make fuzzers)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus/." "$work/"
# -error_exitcode=1: libFuzzer's default, 77, is what ctest takes for "skipped". -seed=1: the same
# inputs in the same order on every run, so that a CI failure reproduces.
exec "$binary" -error_exitcode=1 -seed=1 -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work"
