#!/usr/bin/env bash
# run-fuzzer.sh BINARY CORPUS RUNS: runs a libFuzzer target for RUNS inputs on a copy of CORPUS
# (new inputs stay out of the repository); fails when BINARY is not built (`make fuzzers`, which
# `make test` runs first): a fuzzer that did not run is not a pass. Else the fuzzer's status. A crash leaves its input in the working directory.
set -euo pipefail
binary=$1 corpus=$2 runs=$3
if [[ ! -x $binary ]]; then
    echo "fuzzer $binary not built (make fuzzers)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus/." "$work/"
# -error_exitcode=1: libFuzzer's default, 77, is what ctest takes for "skipped". -seed=1 and a
# count of runs rather than a time: the same inputs on every machine, so that what passes here
# passes in CI and a failure reproduces (a time bound reaches further on a faster run).
exec "$binary" -error_exitcode=1 -seed=1 -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work"
