#!/usr/bin/env bash
# qemu-unsafe-test.sh HARNESS OUTDIR KERNEL allowed|detected
# strategy=unsafe-none unloads with callbacks pending (allow_unsafe=1; that the module refuses it
# without is qemu-refused-test.sh's).
#   allowed: with allow_unsafe=1 the unload returns with callbacks pending, which later run
#            in freed module text. The run must fail: as a kernel crash (qemu-run.sh exit
#            125) or, on kernels that unmap freed module text lazily (Debian's: no crash
#            follows at once), as the harness's lost-callbacks error. Never as a pass.
#   detected: for the DEBUG kernel. Knobs on (free_module()'s own synchronize_rcu() is then
#            expedited and no longer covers the pending callbacks), allow_unsafe=1: the
#            kernel itself must report the use after free, by KASAN or an oops.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$1 out=$2 kernel=$3 mode=$4
# Churn keeps fresh callbacks queued up to the unload: without it, a slow load (the DEBUG
# kernel's) can leave every callback invoked before rmmod, and nothing to catch.
params=(--param churn=5 --param allow_unsafe=1) strategy=unsafe-none
[[ $mode != detected ]] || strategy=unsafe-none+knobs
"$top/scripts/guest-run.sh" --kernel "$kernel" --out "$out" --harness "$harness" --timeout 600 -- \
    --cycles 3 --callbacks 1000 --strategy "$strategy" "${params[@]}"
status=$?
fail() { echo "qemu-unsafe-test ($mode): $*; console: $out/console.log" >&2; exit 1; }
case $mode in
    allowed)
        if [[ $status -ne 125 ]]; then
            [[ $status -ne 0 && $status -lt 124 ]] || fail "expected a failed run, boot status $status"
            grep -qE 'invoked [0-9]+ of [0-9]+ callbacks before unload returned' "$out/console.log" ||
                fail "the harness did not report the callbacks left pending"
        fi
        ;;
    detected)
        [[ $status -eq 125 ]] || fail "expected a kernel splat (boot status 125), got $status"
        grep -qE 'BUG: KASAN|Oops|BUG: unable to handle' "$out/console.log" ||
            fail "the splat is neither a KASAN report nor an oops"
        ;;
    *) fail "mode must be allowed or detected" ;;
esac
echo "qemu-unsafe-test ($mode): as expected (boot status $status)"
