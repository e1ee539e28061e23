#!/usr/bin/env bash
# matrix.sh [--out DIR] [--cycles N] [--harness BIN] [LABEL...]
# The kernel matrix: every experiment of configs/experiments.tsv in the matrix suite (or only the
# LABELs given), each booted once by run-experiment.sh with its strategy specs interleaved cycle by
# cycle (callbacks=1000) and checked as its line says (every cycle present, invoked == enqueued,
# auto's pick; on DEBUG also that the kernel's detectors report unsafe-none). Prints one summary
# table (rcu-unload matrix) and writes DIR/matrix.tsv and DIR/matrix.md. --cycles overrides the
# table's matrix cycles per spec. Exit status 0 only if every experiment passed.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

out=$top/build/matrix cycles_override='' harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --cycles) cycles_override=${2:?--cycles needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
[[ -z $cycles_override || $cycles_override =~ ^[1-9][0-9]*$ ]] || die "--cycles takes a positive integer"
need_file "$harness" "harness (build it with 'make user')"
rows=$(experiments matrix "$@") || exit 1

mkdir -p "$out"
summary=$out/matrix.tsv
printf '# label\tstatus\tresults\n' >"$summary"
start=$SECONDS
while IFS=$'\t' read -r label cycles kernel append params specs check _ vcpus; do
    [[ -n $label ]] || continue
    [[ $append != - ]] || append=''
    [[ -z $cycles_override ]] || cycles=$cycles_override
    dir=$out/$label
    log "== $label: kernel $kernel${append:+ ($append)}, $cycles cycles per spec"
    "$RCU_UNLOAD_SCRIPTS/run-experiment.sh" --kernel "$kernel" --append "$append" --params "$params" --vcpus "$vcpus" \
        --specs "$specs" --cycles "$cycles" --check "$check" --out "$dir" --harness "$harness" \
        --timeout 3600 </dev/null >"$out/$label.log" 2>&1 || true
    status=$(cat "$dir/status" 2>/dev/null || echo run-failed)
    [[ $status == ok ]] || log "$label: $status (see $out/$label.log, $dir/console.log)"
    # Refusals, refused runs and unsafe unloads are checked on the console; their results are
    # failures by design.
    case $check in
        refused:* | error:* | unsafe:*) printf '%s\t%s\t\n' "$label" "$status" ;;
        *) printf '%s\t%s\t%s\n' "$label" "$status" "$dir/results.json" ;;
    esac >>"$summary"
done <<<"$rows"

log "matrix done in $((SECONDS - start)) s"
"$harness" matrix "$summary" --markdown >"$out/matrix.md" || true
"$harness" matrix "$summary"
