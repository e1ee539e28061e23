#!/usr/bin/env bash
# qemu-refused-test.sh HARNESS OUTDIR KERNEL APPEND STRATEGY PARAMS LOG-REGEX
# A load the module must refuse: strategy STRATEGY with module parameters PARAMS (comma-separated,
# or "-") on KERNEL booted with APPEND. The load must fail with -EINVAL (Invalid argument), the
# kernel log must say why in a line matching LOG-REGEX, and the harness must quote that line and
# fail.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$1 out=$2 kernel=$3 append=$4 strategy=$5 params=$6 expected=$7
param_args=()
if [[ $params != - ]]; then
    IFS=, read -ra list <<<"$params"
    for p in "${list[@]}"; do param_args+=(--param "$p"); done
fi
"$top/scripts/guest-run.sh" --kernel "$kernel" --append "$append" --out "$out" --harness "$harness" \
    --timeout 300 -- --cycles 1 --callbacks 1000 --strategy "$strategy" "${param_args[@]}"
status=$?
fail() { echo "qemu-refused-test ($strategy $params): $*; console: $out/console.log" >&2; exit 1; }
[[ $status -ne 0 && $status -lt 124 ]] || fail "expected the harness to fail, boot status $status"
grep -q "loading with '.*' failed: Invalid argument (-22)" "$out/console.log" ||
    fail "the load did not fail with -EINVAL"
grep -qE "module log: rcu_unload: $expected" "$out/console.log" ||
    fail "no module log line matching '$expected' quoted by the harness"
echo "qemu-refused-test ($strategy $params): refused as expected"
