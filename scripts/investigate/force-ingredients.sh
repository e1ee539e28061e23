#!/usr/bin/env bash
# force-ingredients.sh [--kernel NAME] [--append CMDLINE] [--cycles N] [--out DIR] [STEPS...]
# Each ingredient's share of the forced wait: one boot per force_steps mask (default 0 1 4 5 7:
# none, start a grace period, rcu_force_quiescent_state(), both, both + stop_machine()), each
# interleaving barrier and force-qs-own N cycles apiece (default 30) at callbacks=1000, so that
# every mask is compared with the barrier of its own boot. Prints one Markdown table of the
# module exit path p50 and the ratio to barrier with its 95% bootstrap CI, read from each boot's
# results JSON (results.py).
# shellcheck source=../common.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)
harness=$top/build/user/rcu-unload

kernel=deb-6.1-amd64 append=preempt=none cycles=30 out=$top/build/force-ingredients
while (($#)); do
    case $1 in
        --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
masks=("$@")
((${#masks[@]})) || masks=(0 1 4 5 7)
need_file "$harness" "harness (build it with 'make user')"
need_cmd python3 python3

declare -A what=([0]="nothing: wait for the count" [1]="start a grace period" [4]="rcu_force_quiescent_state()"
                 [5]="start + rcu_force_quiescent_state()" [7]="start + FQS + stop_machine()")
table="| force_steps | ingredients | barrier p50 | force-qs-own p50 | ratio [95% CI] |
| ---: | --- | ---: | ---: | ---: |"
for mask in "${masks[@]}"; do
    dir=$out/steps-$mask
    "$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$dir" \
        --cycles-per "$cycles" -- --strategy barrier --strategy force-qs-own \
        --param "force_steps=$mask" >&2 || die "force_steps=$mask: the boot failed (see $dir)"
    row=$(python3 "$RCU_UNLOAD_SCRIPTS/investigate/results.py" ratio "$dir/results.json" force-qs-own) ||
        die "force_steps=$mask: no barrier and force-qs-own cycles in $dir/results.json"
    table+=$'\n'"| $mask | ${what[$mask]:-mask $mask} | $row |"
done
printf '%s: %s, %s cycles per strategy and mask, callbacks=1000, exit path [ms]\n\n%s\n' \
    "$kernel" "${append:-no command line}" "$cycles" "$table" | tee "$out/table.md"
