#!/usr/bin/env bash
# run-experiment.sh --kernel NAME --out DIR --specs S,... --cycles N [--append CMDLINE] [--params K=V,...]
#                   [--callbacks N,...] [--check CHECK] [--timeout S] [--vcpus N] [--harness BIN] [--seed S]
# One experiment (a line of configs/experiments.tsv): boots kernel NAME once with CMDLINE, runs the
# harness with the strategy specs S (`all`: every strategy that applies there), N cycles per spec
# and callbacks value (default 1000), the module parameters K=V, then checks the outcome by CHECK:
#   - or pick:NAME  rcu-unload verify: every cycle present, invoked == enqueued, positive timings,
#                   no errors or new taint, and with pick:NAME every auto cycle picked NAME
#   refused:REGEX   the load fails with -EINVAL and the harness quotes a module log line matching
#                   "rcu_unload: REGEX"
#   fault:REGEX     the same for a fault injected at load (fail_after=K): -ENOMEM instead of -EINVAL
#   error:REGEX     the harness refuses the run (exit status 1), saying why in a line
#                   "rcu-unload: [error: ]REGEX", and nothing stays loaded
#   unsafe:allowed  (unsafe-none, allow_unsafe=1) the premature unload is caught: a kernel crash,
#                   or the harness's report of callbacks left pending; never a pass
#   unsafe:detected the kernel itself reports it (KASAN or an oops; the DEBUG kernel)
#   sigkill:expediter  (specs MODULE:...) the harness is SIGKILLed while the expediter is on, around
#                   MODULE's removal; the expediter must switch itself off after max_on_ms (active
#                   0, timed_out counted) and unload, and a new harness then runs plain and
#                   plain+expedite interleaved (run --cycles 4), which must verify and leave the
#                   tracefs settings the killed one changed as they were before it
# Specs `stress` run `rcu-unload stress --seed S --cycles N --verbose` instead (S default 1; debugfs
# mounted for kmemleak, its automatic scan off), N cycles in total, each drawn from (S, cycle), with
# the params K=V as its options --K V (`_` as `-`: max_callbacks=10000 is --max-callbacks 10000): the
# check is its exit status (0: no lost callback, splat, new taint or leak); its figures are the
# "rcu-unload stress:" lines.
# Specs MODULE:SPEC,... time the kernel's own module MODULE (guest-run.sh --module; the guest
# carries guest-modules.sh's list) with SPECs plain, plain+expedite, ...;
# nothing may stay loaded after the run.
# Every boot also fails on a kernel splat on the console (qemu-run.sh). Writes DIR/status, one
# word: ok, build-failed, timeout, splat, boot-failed, run-failed, verify-failed, stress-failed,
# not-refused, not-caught, not-detected or no-error; DIR/console.log, DIR/results.json. Exit status 0 only for ok.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

kernel='' out='' specs='' cycles='' append='' params='' callbacks=1000 check=- timeout=600
harness=$top/build/user/rcu-unload vcpus=2 seed=1
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
        --seed) seed=${2:?--seed needs a value}; shift 2 ;;
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
    - | pick:?* | refused:?* | fault:?* | error:?* | unsafe:allowed | unsafe:detected | sigkill:expediter) ;;
    *) die "--check: '$check' is none of -, pick:NAME, refused:REGEX, fault:REGEX, error:REGEX, unsafe:allowed, unsafe:detected, sigkill:expediter" ;;
esac
# MODULE:SPEC,...: another module than rcu_unload, which enqueues no callbacks (callbacks 0).
module=''
if [[ $specs =~ ^([A-Za-z0-9_./-]+):(.+)$ ]]; then
    module=${BASH_REMATCH[1]} specs=${BASH_REMATCH[2]} callbacks=0
fi
[[ $check != sigkill:* || -n $module ]] || die "--check $check needs specs MODULE:..."
[[ $seed =~ ^[0-9]+$ ]] || die "--seed takes a whole number, not '$seed'"
[[ $specs != stress || $check == - ]] || die "specs stress take check -, not '$check'"
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

module_args=()
[[ -z $module ]] || module_args=(--module "$module")
if [[ $check == sigkill:expediter ]]; then
    # The job kills the harness with SIGKILL as soon as the expediter reads active=1 (during the
    # removal), retrying where the kill landed after the harness had switched it off already.
    cycles=2 specs=plain,plain+expedite strategy_args=(--strategy plain --strategy plain+expedite)
    module_args+=(--job "$out/sigkill-job.sh")
    cat >"$out/sigkill-job.sh" <<JOB
#!/bin/sh
m=$module
e=$RCU_UNLOAD_EXPEDITER
a=/sys/module/\$e/parameters/active
s=/sys/module/\$e/parameters/stats
t=/sys/kernel/tracing
[ -e \$t/trace ] || mount -t tracefs tracefs \$t
tracefs_settings() { echo \$(cat \$t/trace_clock \$t/options/record-cmd \$t/options/record-tgid \$t/events/module/module_free/enable); }
before=\$(tracefs_settings)
try=0
while :; do
    try=\$((try + 1))
    [ \$try -le 10 ] || { echo "rcu-unload job: FAIL never killed the harness while the expediter was on"; exit 5; }
    /bin/rcu-unload run --module \$m --strategy plain+expedite --cycles 100000 >/tmp/run.log 2>&1 &
    pid=\$!
    n=0
    while [ ! -e \$a ]; do
        n=\$((n + 1))
        [ \$n -lt 200000 ] || { echo "rcu-unload job: FAIL the expediter never loaded"; cat /tmp/run.log; exit 5; }
    done
    while [ "\$(cat \$a 2>/dev/null)" != 1 ]; do :; done
    kill -9 \$pid
    wait \$pid 2>/dev/null
    on=\$(cat \$a)
    echo "rcu-unload job: try \$try: harness SIGKILLed, expediter active=\$on"
    [ "\$on" = 1 ] && break
    rmmod \$e; rmmod \$m 2>/dev/null
done
sleep 6
on=\$(cat \$a)
stats=\$(cat \$s)
echo "rcu-unload job: 6 s later: active=\$on stats: \$stats"
[ "\$on" = 0 ] || { echo "rcu-unload job: FAIL the expediter is still on"; exit 6; }
case " \$stats " in *" timed_out=0 "*) echo "rcu-unload job: FAIL it did not time out"; exit 6 ;; esac
rmmod \$e || { echo "rcu-unload job: FAIL cannot unload the expediter"; exit 7; }
rmmod \$m 2>/dev/null
echo "rcu-unload job: the expediter switched itself off and unloaded; a new harness:"
/bin/rcu-unload run --module \$m --strategy plain --strategy plain+expedite --cycles 4 --json /results.json || exit \$?
left=\$(sed -n 's/^\($module\|$RCU_UNLOAD_EXPEDITER\) .*/\\1/p' /proc/modules | tr '\\n' ' ')
[ -z "\$left" ] || { echo "rcu-unload job: left loaded: \$left"; exit 4; }
after=\$(tracefs_settings)
[ "\$after" = "\$before" ] || { echo "rcu-unload job: FAIL tracefs settings \$after, before the killed harness \$before"; exit 8; }
echo "rcu-unload job: tracefs settings as before: \$after"
JOB
fi

report=/dev/stdout
if [[ $specs == stress ]]; then
    # No /results.json: init would print it on the serial console, megabytes for thousands of
    # cycles (on deb-6.1-rt 300 cycles' 2.3 MB ended in "irq 4: nobody cared" and a stuck console);
    # the console has each cycle's draw and the run's summary and failure lines.
    report=$out/report.txt
    module_args+=(--job "$out/stress-job.sh")
    stress_options=''
    for ((i = 1; i < ${#param_args[@]}; i += 2)); do
        option=${param_args[i]%%=*}
        stress_options+=" --${option//_/-} ${param_args[i]#*=}"
    done
    # kmemleak's automatic scan (60 s after its start, then every 600 s) yields only through
    # cond_resched(), never sleeping, and takes tens of seconds on DEBUG under TCG: a Tasks RCU
    # holdout all that time, so a tasks cycle's rcu_barrier_tasks() waited it out, once past the
    # unload timeout. The harness scans once at the end instead.
    cat >"$out/stress-job.sh" <<JOB
#!/bin/sh
mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ ! -e /sys/kernel/debug/kmemleak ] || echo scan=off >/sys/kernel/debug/kmemleak
exec /bin/rcu-unload stress --verbose --seed $seed --cycles $cycles$stress_options --module /rcu_unload.ko
JOB
fi

set +e
"$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$out" \
    --smp "$vcpus" --harness "$harness" --timeout "$timeout" "${module_args[@]}" -- \
    --cycles "$cycles" "${strategy_args[@]}" "${callbacks_args[@]}" "${param_args[@]}" >"$report"
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
    - | pick:* | sigkill:*)
        ((rc == 0)) || [[ $specs != stress ]] || finish "$(boot_word "$rc" stress-failed)" "boot status $rc, see the console's 'rcu-unload stress:' lines"
        [[ $specs != stress ]] || finish ok
        ((rc == 0)) || finish "$(boot_word "$rc" run-failed)" "boot status $rc"
        verify_args=("${callbacks_args[@]}")
        # The sigkill job's last run is checked against its own cycle count (whether run --cycles
        # counts in total or per combination).
        [[ $check == sigkill:* ]] || verify_args+=(--cycles "$cycles")
        # With `all` the specs the run expanded are the file's own.
        [[ ,$specs, == *,all,* || ,$specs, == *,all+knobs,* ]] || verify_args+=("${strategy_args[@]}")
        [[ $check != pick:* ]] || verify_args+=(--expect-pick "auto=${check#pick:}")
        "$harness" verify "$out/results.json" "${verify_args[@]}" >"$out/verify.log" 2>&1 ||
            { cat "$out/verify.log" >&2; finish verify-failed "rcu-unload verify: $out/verify.log"; }
        ;;
    refused:* | fault:*)
        expected=${check#*:} errno='Invalid argument (-22)'
        [[ $check == refused:* ]] || errno='Cannot allocate memory (-12)'
        ((rc != 0 && rc < 124)) || finish "$(boot_word "$rc" not-refused)" "expected the harness to fail, boot status $rc"
        grep -qF "failed: $errno" "$console" && grep -q "loading with '.*' failed: " "$console" ||
            finish not-refused "the load did not fail with $errno"
        grep -qE "module log: rcu_unload: $expected" "$console" ||
            finish not-refused "no module log line matching '$expected' quoted by the harness"
        ;;
    error:*)
        ((rc == 1)) || finish "$(boot_word "$rc" no-error)" "expected the harness to refuse the run (exit 1), boot status $rc"
        grep -qE "^rcu-unload: (error: )?${check#error:}" "$console" ||
            finish no-error "no 'rcu-unload:' line matching '${check#error:}'"
        # A refused run loads nothing (guest-run.sh's job names what stayed loaded).
        ! grep -q '^rcu-unload job: left loaded:' "$console" || finish left-loaded "$(grep -m1 '^rcu-unload job: left loaded:' "$console")"
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
