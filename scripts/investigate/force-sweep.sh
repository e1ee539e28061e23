#!/usr/bin/env bash
# force-sweep.sh [--kernel NAME] [--append CMDLINE] [--cycles N] [--out DIR] [--strategy S]
#                [--param NAME] [VALUE...]
# One module parameter of the forcing swept: one boot per VALUE of NAME (default force_steps,
# masks 0 1 4 5 7: none, start a grace period, rcu_force_quiescent_state(), both, both +
# stop_machine(); force_interval_us for the pacing), each interleaving barrier and strategy S
# (default force-qs-own) N cycles apiece (default 30) at callbacks=1000, so that every value is
# compared with the barrier of its own boot. Prints one Markdown table of the module exit path
# p50 and the ratio to barrier with its 95% bootstrap CI, read from each boot's results JSON
# (results.py).
# shellcheck source=../common.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)
harness=$top/build/user/rcu-unload

kernel=deb-6.1-amd64 append=preempt=none cycles=30 out=$top/build/force-sweep
strategy=force-qs-own param=force_steps
while (($#)); do
    case $1 in
        --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --strategy) strategy=${2:?--strategy needs a value}; shift 2 ;;
        --param) param=${2:?--param needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
values=("$@")
if ((${#values[@]} == 0)); then
    [[ $param == force_steps ]] || die "--param $param needs the VALUEs to sweep"
    values=(0 1 4 5 7)
fi
need_file "$harness" "harness (build it with 'make user')"
need_cmd python3 python3

declare -A what=([0]="nothing: wait for the count" [1]="start a grace period" [4]="rcu_force_quiescent_state()"
                 [5]="start + rcu_force_quiescent_state()" [7]="start + FQS + stop_machine()")
table="| $param | what | barrier p50 | $strategy p50 | ratio [95% CI] |
| ---: | --- | ---: | ---: | ---: |"
for value in "${values[@]}"; do
    dir=$out/$param-$value
    "$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$dir" \
        -- --cycles "$cycles" --strategy barrier --strategy "$strategy" \
        --param "$param=$value" --param measure_limit=1 >&2 || die "$param=$value: the boot failed (see $dir)"
    row=$(python3 "$RCU_UNLOAD_SCRIPTS/investigate/results.py" ratio "$dir/results.json" "$strategy") ||
        die "$param=$value: no barrier and $strategy cycles in $dir/results.json"
    label=${what[$value]:-}
    [[ $param == force_steps ]] || label=''
    table+=$'\n'"| $value | ${label:--} | $row |"
done
printf '%s: %s, %s cycles per strategy and value, callbacks=1000, exit path [ms]\n\n%s\n' \
    "$kernel" "${append:-no command line}" "$cycles" "$table" | tee "$out/table.md"
