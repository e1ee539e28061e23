#!/usr/bin/env bash
# run-experiment.sh --kernel NAME --out DIR --specs S,... --cycles N [--append CMDLINE] [--params K=V,...]
#                   [--callbacks N,...] [--check CHECK] [--timeout S] [--vcpus N] [--harness BIN]
# One experiment (a line of configs/experiments.tsv): boots kernel NAME once with CMDLINE, runs the
# harness with the strategy specs S (`all`: every strategy that applies there), N cycles per spec
# and callbacks value (default 1000), the module parameters K=V, then checks the outcome by CHECK:
#   - or pick:NAME  rcu-unload verify: every cycle present, invoked == enqueued, positive timings,
#                   no errors or new taint, and with pick:NAME every auto cycle picked NAME
#   refused:REGEX   the load fails with -EINVAL and the harness quotes a module log line matching
#                   "rcu_unload: REGEX"
#   unsafe:allowed  (unsafe-none, allow_unsafe=1) the premature unload is caught: a kernel crash,
#                   or the harness's report of callbacks left pending; never a pass
#   unsafe:detected the kernel itself reports it (KASAN or an oops; the DEBUG kernel)
# Every boot also fails on a kernel splat on the console (qemu-run.sh). Writes DIR/status, one
# word: ok, build-failed, timeout, splat, boot-failed, run-failed, verify-failed, not-refused,
# not-caught or not-detected; DIR/console.log, DIR/results.json. Exit status 0 only for ok.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

kernel='' out='' specs='' cycles='' append='' params='' callbacks=1000 check=- timeout=600
harness=$top/build/user/rcu-unload vcpus=2
while (($#)); do
    case $1 in
        --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --specs) specs=${2:?--specs needs a value}; shift 2 ;;
        --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --params) params=${2?--params needs a value}; shift 2 ;;
        --callbacks) callbacks=${2:?--callbacks needs a value}; shift 2 ;;
        --check) check=${2:?--check needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        --vcpus) vcpus=${2:?--vcpus needs a value}; shift 2 ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $kernel && -n $out && -n $specs && -n $cycles ]] || usage
[[ $cycles =~ ^[1-9][0-9]*$ ]] || die "--cycles takes a positive integer, not '$cycles'"
[[ $append != - ]] || append=''
[[ $params != - ]] || params=''
[[ $vcpus != - ]] || vcpus=2
case $check in
    - | pick:?* | refused:?* | unsafe:allowed | unsafe:detected) ;;
    *) die "--check: '$check' is none of -, pick:NAME, refused:REGEX, unsafe:allowed, unsafe:detected" ;;
esac
need_file "$harness" "harness (build it with 'make user')"

what="$kernel${append:+ ($append)} [$specs${params:+; $params}]"
rm -rf "$out"
mkdir -p "$out"
# finish WORD [WHY]: record the outcome and exit.
finish() {
    echo "$1" >"$out/status"
    if [[ $1 == ok ]]; then
        log "$what: ok"
        exit 0
    fi
    log "$what: $1${2:+: $2} (see $out)"
    exit 1
}

# Fetched or built first, so that a failure is named as one.
"$RCU_UNLOAD_SCRIPTS/get-kernel.sh" "$kernel" >/dev/null 2>"$out/kernel.log" ||
    finish build-failed "kernel $kernel could not be fetched or built, log $out/kernel.log"

strategy_args=() callbacks_args=() param_args=()
IFS=, read -ra list <<<"$specs"
for s in "${list[@]}"; do strategy_args+=(--strategy "$s"); done
IFS=, read -ra list <<<"$callbacks"
for c in "${list[@]}"; do callbacks_args+=(--callbacks "$c"); done
if [[ -n $params ]]; then
    IFS=, read -ra list <<<"$params"
    for p in "${list[@]}"; do param_args+=(--param "$p"); done
fi

set +e
"$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$out" \
    --smp "$vcpus" --harness "$harness" --timeout "$timeout" --cycles-per "$cycles" -- \
    "${strategy_args[@]}" "${callbacks_args[@]}" "${param_args[@]}"
rc=$?
set -e
console=$out/console.log
boot_word() {
    case $1 in
        124) echo timeout ;;
        125) echo splat ;;
        126) echo boot-failed ;;
        *) echo "$2" ;;
    esac
}

case $check in
    - | pick:*)
        ((rc == 0)) || finish "$(boot_word "$rc" run-failed)" "boot status $rc"
        verify_args=(--cycles "$cycles" "${callbacks_args[@]}")
        # With `all` the specs the run expanded are the file's own.
        [[ ,$specs, == *,all,* || ,$specs, == *,all+knobs,* ]] || verify_args+=("${strategy_args[@]}")
        [[ $check == - ]] || verify_args+=(--expect-pick "auto=${check#pick:}")
        "$harness" verify "$out/results.json" "${verify_args[@]}" >"$out/verify.log" 2>&1 ||
            { cat "$out/verify.log" >&2; finish verify-failed "rcu-unload verify: $out/verify.log"; }
        ;;
    refused:*)
        expected=${check#refused:}
        ((rc != 0 && rc < 124)) || finish "$(boot_word "$rc" not-refused)" "expected the harness to fail, boot status $rc"
        grep -q "loading with '.*' failed: Invalid argument (-22)" "$console" ||
            finish not-refused "the load did not fail with -EINVAL"
        grep -qE "module log: rcu_unload: $expected" "$console" ||
            finish not-refused "no module log line matching '$expected' quoted by the harness"
        ;;
    unsafe:allowed)
        # A crash at once (125), or, where freed module text is unmapped lazily (Debian's kernels),
        # the harness's lost-callbacks error.
        if ((rc != 125)); then
            ((rc != 0 && rc < 124)) || finish not-caught "expected a failed run, boot status $rc"
            grep -qE 'invoked [0-9]+ of [0-9]+ callbacks before unload returned' "$console" ||
                finish not-caught "the harness did not report the callbacks left pending"
        fi
        ;;
    unsafe:detected)
        ((rc == 125)) || finish not-detected "expected a kernel splat (boot status 125), got $rc"
        grep -qE 'BUG: KASAN|Oops|BUG: unable to handle' "$console" ||
            finish not-detected "the splat is neither a KASAN report nor an oops"
        ;;
esac
finish ok
