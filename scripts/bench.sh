#!/usr/bin/env bash
# bench.sh [--cycles N] [--out DIR] [CONFIG...]
# The project's benchmark: one boot per CONFIG (KERNEL-NAME[:KERNEL-CMDLINE]), in which every
# strategy x callbacks combination runs N cycles (default 50), interleaved cycle by cycle, with
# the module measuring the limit (one expedited grace period, per-callback cost) in the same
# boot. Writes DIR/<config>/results.json, DIR/<config>.png and DIR/README-table.md (Markdown
# tables for README's benchmark section), and prints the tables.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)
harness=$top/build/user/rcu-unload

usage() { sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2; }
cycles=50 out=$top/build/bench
while (($#)); do
    case $1 in
        --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
configs=("$@")
# shellcheck disable=SC2054 # the commas separate kernel options within one config
((${#configs[@]})) || configs=(
    deb-6.1-amd64:preempt=none
    deb-6.1-amd64:preempt=full
    deb-6.1-rt
    deb-6.1-amd64:preempt=full,rcu_nocbs=all
    deb-6.12-amd64:preempt=full
    deb-6.12-amd64:preempt=full,rcu_nocbs=all
    deb-6.1-amd64:preempt=full,readers
    deb-6.12-amd64:preempt=none
    deb-6.12-rt
    SMP-NONE
)
strategies=(barrier sync-exp force-qs force-qs-own boost force-qs+knobs force-qs-own+knobs barrier+knobs)
callbacks=(1 1000 100000)
need_file "$harness" "harness (build it with 'make user')"

mkdir -p "$out"
table=$out/README-table.md
: >"$table"
for config in "${configs[@]}"; do
    kernel=${config%%:*} extra=''
    [[ $config == *:* ]] && extra=${config#*:}
    # ",readers" is not a kernel option: it adds reader threads inside the module.
    params=(--param measure_limit=1)
    if [[ ,$extra, == *,readers,* ]]; then
        params+=(--param readers=2 --param reader_hold_us=20)
        extra=$(sed -E 's/(^|,)readers(,|$)/\1/; s/,$//' <<<"$extra")
    fi
    append=${extra//,/ }
    dir=$out/${config//[:,= ]/-}
    # The module refuses force-qs-own where callbacks are offloaded (docs/interfaces.md).
    specs=("${strategies[@]}")
    [[ $append == *rcu_nocbs=* ]] && mapfile -t specs < <(printf '%s\n' "${strategies[@]}" | grep -v '^force-qs-own')
    args=(--cycles $((cycles * ${#specs[@]} * ${#callbacks[@]})))
    for s in "${specs[@]}"; do args+=(--strategy "$s"); done
    for c in "${callbacks[@]}"; do args+=(--callbacks "$c"); done
    log "== $config: ${args[1]} cycles"
    start=$(date +%s)
    "$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$dir" \
        --timeout 1800 -- "${args[@]}" "${params[@]}"
    log "== $config: boot took $(($(date +%s) - start)) s"
    {
        echo "### $config ($(date -u +%Y-%m-%d), 2 vCPUs, QEMU TCG)"
        echo
        "$harness" report --markdown "$dir/results.json" --plot "$dir.png"
        echo
    } | tee -a "$table"
done
log "tables: $table; plots: $out/*.png"
