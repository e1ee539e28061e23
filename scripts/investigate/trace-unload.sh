#!/usr/bin/env bash
# trace-unload.sh --kernel NAME --out DIR [--append "CMDLINE"] [--cycles N] [--strategy S]
#                 [--callbacks N] [--settle SEC] [--from load|unload] [--no-callback-trace]
#                 [--no-module-probes] [--smp N] [--timeout S] [--events "SYS:EVENT ..."]
#                 [--set /sys/FILE=VALUE]... [--module NAME] [--expedite]
# Where does the time of one unload go? Boots Debian's kernel NAME (deb-* only) in QEMU like
# guest-run.sh (same module, same base initramfs) and runs N cycles (default 5) of: clear the
# ftrace buffer, tracing on, insmod /rcu_unload.ko callbacks=N strategy=S tag=CYCLE (defaults
# 1000, barrier), sleep SEC (default 0: none, like the harness; a sleep longer than a grace
# period lets the callbacks run before the rmmod), rmmod rcu_unload, tracing off. --from unload
# clears and starts tracing only after the insmod (and sleep). Traced: the function tracer
# (trace_clock mono) on RCU internals; kretprobes on the returns of delete_module, rcu_barrier,
# synchronize_rcu, free_module; sched_switch/sched_wakeup, softirq_raise(RCU); kprobes on the
# module's init/exit path and callback (not the callback with --no-callback-trace, none with
# --no-module-probes: module kprobes make every load and the unload's GOING notifier slower by
# tens of ms, but not the exit function). Leaves DIR/console.log, DIR/job.sh, DIR/trace.txt (the
# module's records as "# record") and DIR/summary.txt (trace-unload-summary.py beside it: stages
# in ms from the delete_module entry), and prints the summary. --events adds tracepoints (e.g.
# "timer:hrtimer_start timer:hrtimer_expire_entry") to the raw trace. --set writes VALUE to a sysfs
# file in the guest before the first cycle (e.g. the knobs of a "+knobs" spec, which the harness
# lists in user/include/rcu_unload/knobs.hpp) and notes it in the trace. --module NAME traces the
# kernel's own module NAME instead (modprobe NAME from the guest's module tree, with its
# dependencies; rmmod NAME; no module probes, records or parameters). --expedite loads
# the resident expediter first and switches it on just before each rmmod and off after it, as the
# harness does for a "+expedite" spec. Exit status: qemu-run.sh's, else 1.
# shellcheck source=../common.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

name='' out='' append='' cycles=5 strategy=barrier callbacks=1000 settle=0 from=load
cbtrace=1 mprobe=1 smp=2 timeout=900 events='' sets='' module='' expedite=0 harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --kernel) name=${2:?--kernel needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
        --strategy) strategy=${2:?--strategy needs a value}; shift 2 ;;
        --callbacks) callbacks=${2:?--callbacks needs a value}; shift 2 ;;
        --settle) settle=${2:?--settle needs a value}; shift 2 ;;
        --from) from=${2:?--from needs a value}; shift 2 ;;
        --no-callback-trace) cbtrace=0; shift ;;
        --no-module-probes) mprobe=0; shift ;;
        --smp) smp=${2:?--smp needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --events) events=${2:?--events needs a value}; shift 2 ;;
        --module) module=${2:?--module needs a value}; shift 2 ;;
        --expedite) expedite=1; shift ;;
        --set)
            [[ ${2:-} =~ ^/sys/[A-Za-z0-9_./-]+=[A-Za-z0-9_.-]+$ ]] || die "--set takes /sys/FILE=VALUE, not '${2:-}'"
            sets+="$2 "; shift 2 ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $name && -n $out ]] || usage
[[ $name == deb-* ]] || die "--kernel: only Debian's kernels (deb-*) are supported, not '$name'"
[[ $cycles =~ ^[1-9][0-9]*$ && $callbacks =~ ^[0-9]+$ ]] || die "--cycles and --callbacks take integers"
[[ $strategy =~ ^[a-z-]+$ ]] || die "--strategy: '$strategy' is not a strategy name"
[[ $settle =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--settle takes seconds (e.g. 0.01), not '$settle'"
[[ $events =~ ^[a-z0-9_:\ ]*$ ]] || die "--events takes SYSTEM:EVENT names, not '$events'"
[[ $from == unload || $from == load ]] || die "--from takes unload or load, not '$from'"
[[ $module =~ ^[A-Za-z0-9_-]*$ ]] || die "--module takes a module name, not '$module'"
need_file "$harness" "harness (build it with 'make user'; the base initramfs needs it)"
need_cmd python3 python3
summarizer=$RCU_UNLOAD_SCRIPTS/investigate/trace-unload-summary.py
need_file "$summarizer" "summarizer"

{ read -r kdir && read -r base; } < <("$RCU_UNLOAD_SCRIPTS/prepare-guest.sh" "$name" "$harness")
[[ -n ${base:-} ]] || die "preparing the guest for kernel '$name' failed"
mkdir -p "$out"

# Kernel functions to trace; the job keeps those in available_filter_functions (static ones
# may be inlined: rcu_gp_fqs is, on Debian's 6.1) and lists the rest as "# missing".
kfuncs='__x64_sys_delete_module free_module synchronize_rcu start_poll_synchronize_rcu
rcu_barrier rcu_barrier_func rcu_barrier_handler rcu_barrier_entrain rcu_barrier_callback
rcu_gp_init rcu_gp_fqs rcu_gp_fqs_loop rcu_gp_cleanup rcu_gp_kthread_wake
rcu_force_quiescent_state rcu_implicit_dynticks_qs rcu_report_qs_rnp
rcu_sched_clock_irq invoke_rcu_core rcu_core_si rcu_core rcu_do_batch note_gp_changes
__note_gp_changes rcu_exp_handler ftrace_release_mod async_synchronize_full klp_module_going
kprobes_module_callback trace_kprobe_module_callback synchronize_rcu_expedited
synchronize_rcu_tasks synchronize_rcu_tasks_rude synchronize_rcu_tasks_trace'
# The module's, as kprobe events named after them (module addresses cannot be resolved once the
# module is gone; kprobes on a module's symbols are re-armed at every load of it): its init and exit
# path and, unless --no-callback-trace, the callback (one event per callback: the exact batches,
# at some cost per callback under TCG).
mprobes='p:ru_core_init:ru_core_init r:ru_core_init_ret:ru_core_init
p:ru_core_exit:ru_core_exit r:ru_core_exit_ret:ru_core_exit p:ru_rcu_barrier:ru_rcu_barrier
r:ru_rcu_barrier_ret:ru_rcu_barrier p:ru_rcu_start_gp:ru_rcu_start_gp
p:ru_background_finish:ru_background_finish'
((cbtrace)) && mprobes+=' p:module_cb:_ZN12callback_set6invokeEP11ru_rcu_head'
((mprobe)) && [[ -z $module ]] || mprobes=''

job=$out/job.sh
{
    echo '#!/bin/sh'
    echo '# Generated by scripts/investigate/trace-unload.sh: ftrace of rmmod rcu_unload, cycle by cycle.'
    echo "cycles=$cycles strategy=$strategy callbacks=$callbacks settle=$settle from=$from"
    echo "kfuncs='$(tr '\n' ' ' <<<"$kfuncs")'"
    echo "mprobes='$(tr '\n' ' ' <<<"$mprobes")'"
    echo "events='$events'"
    echo "sets='$sets' module='$module' expedite=$expedite expediter=$RCU_UNLOAD_EXPEDITER"
    cat <<'EOF'
T=/sys/kernel/tracing
all=/tmp/trace-all.txt
# The collected cycles go to the console between markers, also when a step fails.
dump() {
    echo "@@RCU-UNLOAD-TRACE-BEGIN@@"
    [ ! -f $all ] || cat $all
    echo "@@RCU-UNLOAD-TRACE-END@@"
}
fail() { echo "trace-unload job: $*"; echo 0 > $T/tracing_on; dump; exit 1; }
mount -t tracefs nodev $T 2>/dev/null || [ -e $T/trace ] || fail "cannot mount tracefs on $T"
echo 0 > $T/tracing_on
echo nop > $T/current_tracer
echo mono > $T/trace_clock || fail "trace_clock mono refused"
echo 8192 > $T/buffer_size_kb || fail "buffer_size_kb refused"
: > $all
{
    echo "# trace-unload: kernel $(uname -r), $(nproc) cpus, cmdline $(cat /proc/cmdline)"
    echo "# trace-unload: cycles=$cycles strategy=$strategy callbacks=$callbacks settle=$settle from=$from"
    echo "# trace-unload: trace_clock $(cat $T/trace_clock)"
    echo "# trace-unload: module probes: ${mprobes:-none}"
    for p in jiffies_till_first_fqs jiffies_till_next_fqs use_softirq blimit qhimark rcu_divisor; do
        echo "# rcutree.$p=$(cat /sys/module/rcutree/parameters/$p 2>/dev/null)"
    done
} >> $all
: > $T/set_ftrace_filter
for f in $kfuncs; do
    if grep -qx "$f" $T/available_filter_functions; then
        echo "$f" >> $T/set_ftrace_filter || fail "set_ftrace_filter refused $f"
        echo "# traced: $f" >> $all
    else
        echo "# missing: $f (not in available_filter_functions: inlined or absent)" >> $all
    fi
done
# Returns, as kretprobe events (the function tracer shows entries only).
for f in __x64_sys_delete_module rcu_barrier synchronize_rcu free_module; do
    echo "r:rcu_unload_trace/${f#__x64_sys_}_ret $f" >> $T/kprobe_events ||
        fail "kprobe_events refused a return probe on $f"
done
# Probes on the module's symbols: pending until it is loaded (the kernel warns "This probe might
# be able to register after target module is loaded").
for p in $mprobes; do
    kind=${p%%:*} event=${p#*:}
    sym=${event#*:} event=${event%%:*}
    echo "$kind:rcu_unload_trace/$event rcu_unload:$sym" >> $T/kprobe_events ||
        fail "kprobe_events refused $kind:$event on rcu_unload:$sym"
done
echo 1 > $T/events/rcu_unload_trace/enable
echo 1 > $T/events/sched/sched_switch/enable
echo 1 > $T/events/sched/sched_wakeup/enable
echo 'vec == 9' > $T/events/irq/softirq_raise/filter # RCU_SOFTIRQ
echo 1 > $T/events/irq/softirq_raise/enable
for e in $events; do
    echo 1 > "$T/events/${e%%:*}/${e#*:}/enable" || fail "cannot enable event $e"
done
echo function > $T/current_tracer || fail "function tracer refused"
active=/sys/module/$expediter/parameters/active
if [ $expedite = 1 ]; then
    insmod /$expediter.ko || fail "cannot load the expediter"
fi
for s in $sets; do
    echo "${s#*=}" > "${s%%=*}" || fail "cannot write ${s#*=} to ${s%%=*}"
    echo "# trace-unload: set ${s%%=*}=$(cat "${s%%=*}")" >> $all
done

i=1
while [ $i -le $cycles ]; do
    echo > $T/trace
    if [ $from = load ]; then
        echo 1 > $T/tracing_on
        echo "rcu-unload-trace: cycle=$i insmod" > $T/trace_marker
    fi
    if [ -n "$module" ]; then
        modprobe "$module" || fail "cycle $i: modprobe $module failed"
    else
        insmod /rcu_unload.ko callbacks=$callbacks strategy=$strategy tag=$i || fail "cycle $i: insmod failed"
    fi
    [ $from = unload ] || echo "rcu-unload-trace: cycle=$i insmod-done" > $T/trace_marker
    [ "$settle" = 0 ] || sleep $settle
    if [ $from = unload ]; then
        echo > $T/trace
        echo 1 > $T/tracing_on
    fi
    echo "rcu-unload-trace: cycle=$i rmmod" > $T/trace_marker
    [ $expedite = 0 ] || echo 1 > $active
    rmmod "${module:-rcu_unload}" || fail "cycle $i: rmmod failed"
    [ $expedite = 0 ] || echo 0 > $active
    echo "rcu-unload-trace: cycle=$i rmmod-done" > $T/trace_marker
    echo 0 > $T/tracing_on
    {
        echo "# cycle $i"
        dmesg | grep 'rcu_unload: ' | grep " tag=$i " | sed 's/^/# record /'
        grep -v '^#' $T/trace
        grep -E '^# entries-in-buffer' $T/trace
        for c in /sys/kernel/tracing/per_cpu/cpu*; do
            echo "# ${c##*/} overrun $(sed -n 's/^overrun: //p' $c/stats)"
        done
    } >> $all
    i=$((i + 1))
    sleep 0.2
done
echo 0 > $T/events/enable
[ $expedite = 0 ] || { cat /sys/module/$expediter/parameters/stats; rmmod $expediter; }
echo nop > $T/current_tracer
dump
EOF
} >"$job"

set +e
"$RCU_UNLOAD_SCRIPTS/qemu-run.sh" --kernel "$kdir/vmlinuz" --initrd "$base" --job "$job" \
    --append "$append" --smp "$smp" --timeout "$timeout" --log "$out/console.log"
rc=$?
set -e
# The trace block; kernel messages printed meanwhile ("[  1.234] ...") are dropped.
if ! tr -d '\r' <"$out/console.log" | awk '
        /^@@RCU-UNLOAD-TRACE-END@@$/ {inb = 0}
        inb && !/^\[ *[0-9]+\.[0-9]+\] / {print}
        /^@@RCU-UNLOAD-TRACE-BEGIN@@$/ {inb = 1; found = 1}
        END {exit !found}' >"$out/trace.txt"; then
    rm -f "$out/trace.txt"
    die "no trace block in $out/console.log (qemu-run.sh exit status $rc)"
fi
((rc == 0)) || log "qemu-run.sh exited with status $rc (see $out/console.log); summarizing what was traced"
python3 "$summarizer" "$out/trace.txt" >"$out/summary.txt" || die "summarizing $out/trace.txt failed"
cat "$out/summary.txt"
log "trace $out/trace.txt, summary $out/summary.txt"
exit "$rc"
