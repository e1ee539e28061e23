#!/usr/bin/env bash
# qemu-run.sh --kernel VMLINUZ --initrd FILE --log CONSOLE.log [--job SCRIPT] [--out RESULTS.json]
#             [--append "EXTRA CMDLINE"] [--smp 2] [--mem 1024] [--timeout 300] [--verbose] [--bzimage]
# VMLINUZ is a bzImage or a PVH ELF; given DIR/vmlinuz with DIR/vmlinux beside it (fetch-kernel.sh
# makes one), boots DIR/vmlinux (no in-guest decompression: faster) unless --bzimage.
# Boot the kernel in QEMU (TCG, no KVM needed) with the initramfs (plus /job.sh from --job,
# appended as a second cpio), serial console logged to CONSOLE.log (kept). Afterwards the JSON
# printed between the results markers goes to --out. Exit status: the job's (from the
# @@RCU-UNLOAD-EXIT n@@ line) on a clean run; 124 on timeout; 125 if the console shows a kernel
# splat (Oops, BUG:, WARNING:, panic, RCU stall, ...); 126 if QEMU failed or the EXIT marker is
# missing; 2 on bad usage. A boot lost to QEMU's stale translation of patched kernel text (an
# int3 Oops where memory holds no int3) is booted again, at most RCU_UNLOAD_QEMU_STALE_RETRIES
# (default 2) times, the lost console kept beside the log. --verbose copies the console to stderr
# as it runs; without it, the console lines that start with `rcu-unload` (the guest's init line,
# the harness's progress with run --verbose, its warnings and errors, the job's own lines) reach
# stderr as the guest prints them.
# The CPU model is RCU_UNLOAD_QEMU_CPU, default max,-cx16 (why: at the qemu command below).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

kernel='' initrd='' job='' append='' log='' out='' verbose=0 bzimage=0
smp=2 mem=1024 timeout=300
while (($#)); do
    case $1 in
        --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
        --initrd) initrd=${2:?--initrd needs a value}; shift 2 ;;
        --job) job=${2:?--job needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --smp) smp=${2:?--smp needs a value}; shift 2 ;;
        --mem) mem=${2:?--mem needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --log) log=${2:?--log needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --verbose | -v) verbose=1; shift ;;
        --bzimage) bzimage=1; shift ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $kernel && -n $initrd && -n $log ]] || usage
[[ $smp =~ ^[1-9][0-9]*$ && $mem =~ ^[1-9][0-9]*$ && $timeout =~ ^[1-9][0-9]*$ ]] ||
    { log "--smp, --mem and --timeout take positive integers"; usage; }
need_file "$kernel" "kernel image (--kernel)"
if ((!bzimage)) && [[ $(basename "$kernel") == vmlinuz && -f $(dirname "$kernel")/vmlinux ]]; then
    kernel=$(dirname "$kernel")/vmlinux
fi
need_file "$initrd" "initramfs (--initrd)"
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd timeout coreutils

tmp=''
tmpdir_removed_on_exit
if [[ -n $job ]]; then
    "$RCU_UNLOAD_SCRIPTS/mkjob.sh" --out "$tmp/job.cpio.gz" --job "$job"
    cat "$initrd" "$tmp/job.cpio.gz" >"$tmp/initrd.cpio.gz"
    initrd=$tmp/initrd.cpio.gz
fi
mkdir -p "$(dirname "$log")"
[[ -z $out ]] || rm -f "$out" # never leave the results of an earlier run behind
qemu_err=$log.qemu-stderr

# loglevel=5: KERN_WARNING and more severe messages (every splat) reach the console, the
# KERN_INFO/NOTICE chatter of boot does not (it stays in dmesg). panic=-1 + -no-reboot: a
# panic ends QEMU at once. Oopses and warnings do not panic: the job goes on, the host detects them.
cmdline="console=ttyS0,115200 loglevel=5 panic=-1 rdinit=/init i8042.noaux i8042.nokbd${append:+ $append}"
# -cx16: QEMU 7.2's TCG computes the flags of an unlocked cmpxchg16b from a stale lazy-flags state,
# so EFLAGS can come back holding the source operand of an earlier ADD (TF, VM and reserved bits
# included). SLUB's per-CPU fast path is such a cmpxchg16b: Debian 6.12 guests took a #DB and double
# faults in __kmalloc_noprof (docs/bench/2026-11-29-stress.md). Without CX16 the kernel emulates it.
# RCU_UNLOAD_QEMU_CPU overrides the model.
qemu=(qemu-system-x86_64 -machine q35 -accel "tcg,thread=multi" -cpu "${RCU_UNLOAD_QEMU_CPU:-max,-cx16}" -smp "$smp" -m "$mem"
    -nodefaults -no-user-config -display none -monitor none -serial stdio -net none -no-reboot
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline")
# boot_once: run QEMU once; sets rc and wall, leaves the console in $log and, normalised (CR LF
# from the tty), in $tmp/console, which every check below reads.
boot_once() {
    log "booting $kernel (smp $smp, mem ${mem}M, timeout ${timeout}s), console log $log"
    local start end
    start=$(date +%s.%N)
    set +e
    if ((verbose)); then
        timeout -k 5 "$timeout" "${qemu[@]}" </dev/null 2>"$qemu_err" | tee "$log" >&2
        rc=${PIPESTATUS[0]}
    else
        timeout -k 5 "$timeout" "${qemu[@]}" </dev/null >"$log" 2>"$qemu_err" &
        qemu_pid=$!
        # A background job ignores the terminal's Ctrl-C: pass it on (timeout forwards it to QEMU).
        trap 'kill -TERM "$qemu_pid" 2>/dev/null; exit 130' INT TERM
        # Live progress: follow the console until QEMU is gone (tail --pid), harness lines only.
        tail -n +1 -s 0.2 -F --pid="$qemu_pid" "$log" 2>/dev/null | grep -a --line-buffered '^rcu-unload' >&2 &
        follower=$!
        wait "$qemu_pid"
        rc=$?
        wait "$follower" 2>/dev/null
        trap - INT TERM
    fi
    set -e
    end=$(date +%s.%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
    [[ -s $qemu_err ]] || rm -f "$qemu_err"
    tr -d '\r' <"$log" >"$tmp/console"
}

splat_re='Oops|BUG:|WARNING:|Kernel panic|detected stall|INFO: rcu_|blocked for more than|general protection fault|KASAN:|UBSAN:|Call Trace:'
# The splat with what follows it, on stderr: a CI log keeps it when the console file is gone.
show_splat() {
    local line=${splat%%:*}
    log "kernel splat $1: $log:$splat"
    sed -n "${line},$((line + 120))p" "$tmp/console" | sed 's/^/  | /' >&2
}

# A boot lost to a stale translation (stale_int3_trap, common.sh) is not the guest's failure: boot
# again, keeping its console. Nothing else is retried.
retries=${RCU_UNLOAD_QEMU_STALE_RETRIES:-2}
[[ $retries =~ ^[0-9]+$ ]] || die "RCU_UNLOAD_QEMU_STALE_RETRIES takes a non-negative integer, not '$retries'"
for ((attempt = 1; ; attempt++)); do
    boot_once
    splat=$(grep -n -m1 -E "$splat_re" "$tmp/console" || true)
    stale=''
    [[ -z $splat ]] || stale=$(stale_int3_trap "$tmp/console")
    [[ -n $stale ]] && ((attempt <= retries)) || break
    cp -f "$log" "$log.stale-int3.$attempt"
    show_splat "in the console"
    log "attempt $attempt: $stale: QEMU's TCG ran a stale translation of patched kernel text, not a guest defect; booting again (console kept in $log.stale-int3.$attempt)"
done

exit_line=$(grep -a -o -E '@@RCU-UNLOAD-EXIT [0-9]+@@' "$tmp/console" | tail -n1 || true)

if [[ -n $out ]]; then
    # The results block, without what the kernel printed meanwhile ("[  1.234] ..."): whole
    # lines, and messages that landed in the middle of a line (the rest of which follows on the
    # next console line).
    if awk '/^@@RCU-UNLOAD-RESULTS-END@@$/ {inb = 0}
            inb { if (sub(/\[ *[0-9]+\.[0-9]+\] .*$/, "") && $0 ~ /^[ \t]*$/) next; print }
            /^@@RCU-UNLOAD-RESULTS-BEGIN@@$/ {inb = 1; found = 1}
            END {exit !found}' "$tmp/console" >"$tmp/results.json"; then
        mkdir -p "$(dirname "$out")"
        mv -f "$tmp/results.json" "$out"
    else
        log "no results block in the console ($log): $out not written"
    fi
fi
if ((rc == 124 || rc == 137)); then
    log "timeout after ${timeout} s, see $log (last console line: $(grep -v '^$' "$tmp/console" | tail -n1))"
    [[ -z $splat ]] || show_splat "before the timeout"
    exit 124
fi
if [[ -n $splat ]]; then
    show_splat "in the console"
    [[ -z $stale ]] || log "$stale: QEMU's stale translation again, after $retries boots again"
    exit 125
fi
if [[ -z $exit_line ]]; then
    log "no @@RCU-UNLOAD-EXIT@@ line in the console (QEMU exit status $rc), see $log"
    exit 126
fi
if ((rc != 0)); then
    log "QEMU exited with status $rc, see $log and $qemu_err"
    exit 126
fi
status=${exit_line#@@RCU-UNLOAD-EXIT }
status=${status%@@}
log "guest job exit status $status, boot to poweroff ${wall} s"
exit "$status"
