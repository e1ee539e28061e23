#!/usr/bin/env bash
# qemu-test.sh HARNESS OUTDIR KERNEL APPEND CYCLES-PER-STRATEGY STRATEGY...
# Boots KERNEL with the real module and asserts on what came back: every cycle of every
# strategy present with invoked == enqueued and positive timings (rcu-unload verify), and
# no kernel splat on the console (qemu-run.sh fails the boot on one).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$1 out=$2 kernel=$3 append=$4 cycles=$5
shift 5
strategy_args=()
for s in "$@"; do strategy_args+=(--strategy "$s"); done
"$top/scripts/guest-run.sh" --kernel "$kernel" --append "$append" --out "$out" \
    --harness "$harness" -- --cycles $((cycles * $#)) --callbacks 1000 "${strategy_args[@]}"
"$harness" verify "$out/results.json" --cycles "$cycles" "${strategy_args[@]}"
