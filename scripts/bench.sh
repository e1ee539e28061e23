#!/usr/bin/env bash
# bench.sh [--suite bench|bench-modules] [--cycles N] [--callbacks N,...] [--out DIR] [--harness BIN] [LABEL...]
# The project's benchmark: one boot per experiment of configs/experiments.tsv in the bench suite
# (or only the LABELs given), run by run-experiment.sh: the line's strategy specs (`all`: every
# strategy that applies there; a line whose specs are just `all` is benchmarked with `all,all+knobs`,
# as the tests boot it with `all`) x callbacks values (default 1, 1000 and
# 100000), N cycles per combination (default: the table's bench cycles), interleaved cycle by
# cycle, with the module measuring the limit (measure_limit=1: one expedited grace period,
# per-callback cost) in the same boot, and checked as the line says. Writes
# DIR/<label>/results.json, DIR/<label>.png and DIR/README-table.md (Markdown tables for README's
# benchmark section), and prints the tables. Exit status 0 only if every experiment passed.
# --suite bench-modules (`make bench-modules`, default out build/bench-modules): the lines timing
# the kernel's own modules (specs MODULE:plain,plain+expedite,...; no callbacks, no measure_limit).
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

cycles_override='' callbacks=1,1000,100000 out='' harness=$top/build/user/rcu-unload suite=bench
while (($#)); do
    case $1 in
        --suite) suite=${2:?--suite needs a value}; shift 2 ;;
        --cycles) cycles_override=${2:?--cycles needs a value}; shift 2 ;;
        --callbacks) callbacks=${2:?--callbacks needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
[[ -z $cycles_override || $cycles_override =~ ^[1-9][0-9]*$ ]] || die "--cycles takes a positive integer"
need_file "$harness" "harness (build it with 'make user')"
[[ $suite == bench || $suite == bench-modules ]] || die "--suite is bench or bench-modules, not '$suite'"
[[ -n $out ]] || out=$top/build/$suite
rows=$(experiments "$suite" "$@") || exit 1

mkdir -p "$out"
table=$out/README-table.md
: >"$table"
failed=()
while IFS=$'\t' read -r label cycles kernel append params specs check _ vcpus; do
    [[ -n $label ]] || continue
    [[ -z $cycles_override ]] || cycles=$cycles_override
    [[ $append != - ]] || append=''
    [[ $params != - ]] || params=''
    [[ $vcpus != - ]] || vcpus=2
    [[ $specs != all ]] || specs=all,all+knobs
    # The configuration as the tables name it: KERNEL[:CMDLINE] [module parameters].
    config=$kernel${append:+:${append// /,}}${params:+ [$params]}
    # MODULE:SPECS time the kernel's own module: no callbacks, and measure_limit is rcu_unload's.
    limit=measure_limit=1 plot=(--plot "$out/$label.png")
    if [[ $specs =~ ^([A-Za-z0-9_.-]+): ]]; then
        # The report's plot draws the module's exit path, which only rcu_unload records.
        config="${BASH_REMATCH[1]} on $config"
        limit='' plot=()
    fi
    limit_params=$params${params:+${limit:+,}}$limit
    dir=$out/$label
    log "== $label: $config, $cycles cycles per spec and callbacks value"
    start=$SECONDS
    if ! "$RCU_UNLOAD_SCRIPTS/run-experiment.sh" --kernel "$kernel" --append "$append" \
        --params "${limit_params:--}" --specs "$specs" --callbacks "$callbacks" \
        --cycles "$cycles" --check "$check" --out "$dir" --harness "$harness" --timeout 1800 \
        --vcpus "$vcpus" </dev/null; then
        failed+=("$label")
    fi
    log "== $label: boot took $((SECONDS - start)) s"
    [[ -f $dir/results.json ]] || continue
    {
        # More vCPUs than host cores: each waits its turn, so only the ratios mean something.
        oversubscribed=''
        ((vcpus <= $(nproc))) || oversubscribed=", more vCPUs than the host's $(nproc) cores: compare ratios only"
        echo "### $config ($(date -u +%Y-%m-%d), $vcpus vCPUs$oversubscribed, QEMU TCG)"
        echo
        "$harness" report --markdown "$dir/results.json" "${plot[@]}"
        echo
    } | tee -a "$table"
done <<<"$rows"
log "tables: $table; plots: $out/*.png"
((${#failed[@]} == 0)) || die "failed: ${failed[*]} (see $out/LABEL/status and console.log)"
