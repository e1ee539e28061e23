#!/usr/bin/env bash
# stress.sh [--out DIR] [--cycles N] [--seed S] [--harness BIN] [LABEL...]
# `make stress` (issue 13): every experiment of configs/experiments.tsv in the stress suite (or only
# the LABELs given), each booted once by run-experiment.sh running `rcu-unload stress` for that line's
# cycles: Debian 6.1 preempt=none and preempt=full, 6.12 preempt=full and 6.1-rt 3000 each, the
# DEBUG kernel (KASAN, lockdep, kmemleak) 1000 with a kmemleak scan at the end. Each cycle's strategy,
# flavor, callbacks, readers, churn, delay and CPU hotplug are drawn from (seed, cycle index).
# --cycles N (or STRESS_CYCLES) overrides every line's count; --seed S (or STRESS_SEED) the seed,
# otherwise a new one per run, printed. QEMU's timeout per boot is 600 s + 10 s per cycle.
# Writes DIR/LABEL/ (console.log, results.json, the boot's log in DIR/LABEL.log) and DIR/stress.tsv:
# label, status, seed, cycles asked, wall seconds, then the run's last summary, memory and kmemleak
# lines. A failed line prints its "FAILED at cycle K" lines with the command that replays that cycle.
# Exit status 0 only if every line passed.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

out=$top/build/stress cycles_override=${STRESS_CYCLES:-} seed=${STRESS_SEED:-} harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --cycles) cycles_override=${2:?--cycles needs a value}; shift 2 ;;
        --seed) seed=${2:?--seed needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
[[ -z $cycles_override || $cycles_override =~ ^[1-9][0-9]*$ ]] || die "--cycles takes a positive integer"
[[ -n $seed ]] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
[[ $seed =~ ^[0-9]+$ ]] || die "--seed takes a whole number, not '$seed'"
need_file "$harness" "harness (build it with 'make user')"
rows=$(experiments stress "$@") || exit 1

mkdir -p "$out"
summary=$out/stress.tsv
printf '# label\tstatus\tseed\tcycles\tseconds\tsummary\n' >"$summary"
log "seed $seed"
failed=0
while IFS=$'\t' read -r label cycles kernel append params specs check _ vcpus; do
    [[ -n $label ]] || continue
    [[ $append != - ]] || append=''
    [[ -z $cycles_override ]] || cycles=$cycles_override
    dir=$out/$label
    log "== $label: kernel $kernel${append:+ ($append)}, $cycles stress cycles, seed $seed"
    start=$SECONDS
    "$RCU_UNLOAD_SCRIPTS/run-experiment.sh" --kernel "$kernel" --append "$append" --params "$params" --vcpus "$vcpus" \
        --specs "$specs" --cycles "$cycles" --check "$check" --seed "$seed" --out "$dir" --harness "$harness" \
        --timeout $((600 + 10 * cycles)) </dev/null >"$out/$label.log" 2>&1 || true
    status=$(cat "$dir/status" 2>/dev/null || echo run-failed)
    lines=$({
        grep -aE '^rcu-unload stress: [0-9]+ cycles in' "$dir/console.log" | tail -n 1
        grep -aE '^rcu-unload stress: (memory:|kmemleak:|LEAK:|FAILED|replay it:|cycle [0-9]+ of seed)' "$dir/console.log"
    } 2>/dev/null | tr '\n' '|' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$status" "$seed" "$cycles" $((SECONDS - start)) "$lines" >>"$summary"
    if [[ $status == ok ]]; then
        log "$label: ok in $((SECONDS - start)) s"
    else
        failed=1
        log "$label: $status (see $out/$label.log, $dir/console.log)"
        grep -aE '^rcu-unload stress: (FAILED|replay it|cycle [0-9]+ of seed|LEAK)' "$dir/console.log" >&2 || true
    fi
    grep -aE '^rcu-unload stress: ([0-9]+ cycles in|memory:|kmemleak:)' "$dir/console.log" 2>/dev/null | tail -n 3 >&2 || true
done <<<"$rows"
exit "$failed"
