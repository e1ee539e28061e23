#!/usr/bin/env bash
# qemu-test.sh HARNESS OUTDIR KERNEL APPEND PARAMS PICK CYCLES-PER-STRATEGY STRATEGY...
# Boots KERNEL with the real module (module parameters PARAMS, comma-separated, or "-") and
# asserts on what came back: every cycle of every strategy present with invoked == enqueued
# and positive timings, auto having picked PICK ("-": no check) (rcu-unload verify), and no
# kernel splat on the console (qemu-run.sh fails the boot on one).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$1 out=$2 kernel=$3 append=$4 params=$5 pick=$6 cycles=$7
shift 7
strategy_args=() param_args=() pick_args=()
[[ $pick == - ]] || pick_args=(--expect-pick "auto=$pick")
for s in "$@"; do strategy_args+=(--strategy "$s"); done
if [[ $params != - ]]; then
    IFS=, read -ra list <<<"$params"
    for p in "${list[@]}"; do param_args+=(--param "$p"); done
fi
"$top/scripts/guest-run.sh" --kernel "$kernel" --append "$append" --out "$out" \
    --harness "$harness" -- --cycles $((cycles * $#)) --callbacks 1000 "${strategy_args[@]}" \
    "${param_args[@]}"
"$harness" verify "$out/results.json" --cycles "$cycles" "${strategy_args[@]}" "${pick_args[@]}"
