#!/usr/bin/env bash
# faults.sh [--kernel NAME] [--out DIR] [--case NAME|all] [--count N] [--seed N] [--timeout S]
#           [--harness BIN]
# Issue 13's fault table, measured in real guests: one boot per case on kernel NAME (default
# deb-6.1-amd64), a job script generated under DIR/jobs (default DIR build/faults) that runs the
# case N times (default per case below) and checks the outcome mechanically after every iteration.
# Prints one Markdown table row per case (case, kernel, iterations, passed, failures with the first
# failure's evidence, boot wall time) and appends it to DIR/table.md; each boot leaves
# DIR/CASE-KERNEL/console.log and outcome.txt (counts, every failure, the first one's evidence,
# notes). Cases:
#   kill-random (100)  one boot, N times: `rcu-unload run` with kick+knobs, sometimes
#                      barrier+expedite / kick+expedite+knobs, --json, killed after 0..1.5 s by
#                      SIGKILL (every 5th iteration SIGTERM or SIGHUP; not SIGINT: a background job
#                      of a shell without job control ignores it, and the harness keeps an ignored
#                      signal ignored, as nohup expects). Checks: a stopped run
#                      (exit 130) put everything back itself; after a kill the expediter switches
#                      itself off within max_on_ms, the journal PATH.partial reads with `report`
#                      (a cycle per complete line), and the next harness start (a 1-cycle run, the
#                      documented recovery) puts the knobs back with rcu_unload not left loaded;
#                      no splat, no lost callback. At the end nothing is loaded and the knobs are
#                      the originals.
#   rmmod-race (200)   insmod callbacks=100000 in the background, rmmod in a tight loop until it
#                      succeeds: the module is gone, its exit record has invoked == enqueued.
#   fail-after (100)   fail_after=K (K random below callbacks 1000/10000/100000, some with readers
#                      and churn): ENOMEM, `what=injected-fault ... enqueued=K invoked=K`, nothing
#                      loaded; Slab/SUnreclaim sampled every 10 loads (growth over 512 kB fails).
#   failslab (100)     (a kernel with CONFIG_FAILSLAB: DEBUG; booted with initcall_debug) even
#                      iterations: debugfs failslab with task-filter, make-it-fail only in the
#                      insmod's shell, probability 1,10,20,30,50 % in turn, interval 1, times -1,
#                      verbose 0, ignore-gfp-wait N; odd ones fail every allocation after a point
#                      (same filter, probability 100, space: the load's bytes minus X), X random
#                      in the load's last 16 kB (the module's init), every 8th anywhere in the
#                      load. callbacks=1000 (readers=2 every 3rd): a load
#                      either works (init record, rmmod works, invoked == enqueued) or fails with
#                      an errno; one whose module init ran (initcall_debug's line) must have an
#                      rcu_unload error line. A failed vmalloc's warn_alloc dump is expected, not a
#                      splat (the console shows errors only then; the job reads every record).
#                      kmemleak scan at the end (entries naming rcu_unload fail).
# all: the first three, and failslab where the kernel has CONFIG_FAILSLAB=y. Every boot also runs
# qemu-run.sh's splat check on the console (boot status 125).
# shellcheck source=../common.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

kernel=deb-6.1-amd64 out=$top/build/faults which=all count='' seed=13 timeout=''
harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --case) which=${2:?--case needs a value}; shift 2 ;;
        --count) count=${2:?--count needs a value}; shift 2 ;;
        --seed) seed=${2:?--seed needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -z $count || $count =~ ^[1-9][0-9]*$ ]] || die "--count takes a positive integer"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed takes a whole number"
[[ -z $timeout || $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout takes a positive integer"
declare -A default_count=([kill-random]=100 [rmmod-race]=200 [fail-after]=100 [failslab]=100)
case $which in
    all) cases=(kill-random rmmod-race fail-after failslab) ;;
    kill-random | rmmod-race | fail-after | failslab) cases=("$which") ;;
    *) die "--case: '$which' is none of kill-random, rmmod-race, fail-after, failslab, all" ;;
esac
need_file "$harness" "harness (build it with 'make user')"
# The harness may be mid-build (another engineer): wait until it runs.
for _ in $(seq 60); do "$harness" --version >/dev/null 2>&1 && break; log "the harness does not run yet; waiting"; sleep 10; done
"$harness" --version >/dev/null || die "$harness does not run"

kdir=$("$RCU_UNLOAD_SCRIPTS/get-kernel.sh" "$kernel") || die "kernel $kernel could not be fetched or built"
if ! grep -q '^CONFIG_FAILSLAB=y' "$kdir/config" 2>/dev/null; then
    if [[ $which == failslab ]]; then die "kernel $kernel has no CONFIG_FAILSLAB=y (use --kernel DEBUG)"; fi
    cases=("${cases[@]/failslab/}")
fi
mkdir -p "$out/jobs"

# The job: the case's settings, then the shell below (a function per case, run by the last line).
# Its outcome goes to /results.json, which guest-init prints between the results markers and
# qemu-run.sh writes to DIR/outcome.txt: plain `key value` lines, then `--- ` sections.
write_job() { # write_job CASE COUNT FILE
    {
        printf '#!/bin/sh\n# faults.sh case %s, generated %s\nCASE=%s COUNT=%s SEED=%s EXPEDITER=%s\n' \
            "$1" "$(date -u +%FT%TZ)" "$1" "$2" "$seed" "$RCU_UNLOAD_EXPEDITER"
        cat <<'JOB'
P="rcu-unload faults: $CASE"
RANDOM=$SEED
splat_re='Oops|BUG:|WARNING:|Kernel panic|detected stall|INFO: rcu_|blocked for more than|general protection fault|KASAN:|UBSAN:|Call Trace:'
mkdir -p /tmp/f
# Every kernel log record, as printed (the ring buffer wraps over a hundred iterations).
cat /dev/kmsg >/tmp/f/kmsg 2>/dev/null &
: >/tmp/f/failures; : >/tmp/f/notes; : >/tmp/f/evidence; : >/tmp/f/summary; : >/tmp/f/ev
passed=0 failed=0 done_n=0 ifail='' inote='' endcheck=ok i=0 kmark=0 n_warn_alloc=0

rnd() { echo $(((RANDOM * 32768 + RANDOM) % $1)); } # 0..N-1
now_ms() { read -r up _ </proc/uptime; echo $((${up%.*} * 1000 + (1${up#*.} - 100) * 10)); }
loaded() { grep -q "^$1 " /proc/modules; }
fail() { ifail="${ifail:+$ifail; }$*"; }
note() { inote="${inote:+$inote, }$*"; }
summary() { echo "$*" >>/tmp/f/summary; echo "$P $*"; }
end_fail() { [ "$endcheck" = ok ] && endcheck="FAIL: $*" || endcheck="$endcheck; $*"; }
oneline() { tr '\n' ' ' <"$1" | tail -c "${2:-300}"; } # the last 300 characters, on one line
# unload_left WHEN: rcu_unload must not be loaded WHEN; if it is, that fails and it is removed.
unload_left() {
    loaded rcu_unload || return 0
    fail "rcu_unload loaded $1"
    rmmod rcu_unload || fail "rmmod rcu_unload failed"
}
# ins_evidence N: for a failed iteration, the insmod's output and the last N kernel log lines.
ins_evidence() {
    [ -n "$ifail" ] || return 0
    { echo "insmod: $(cat /tmp/f/ins.log)"; sed 's/^[^;]*;//' /tmp/f/iterlog | grep -v faults-sync | tail -n "$1"; } >>/tmp/f/ev
}
# The kernel log since lmark, complete: a record written now must be in the copy first.
lmark() { kmark=$(wc -l </tmp/f/kmsg); }
lsync() {
    tok="faults-sync-$i-$(rnd 1000000)"
    echo "<6>$tok" >/dev/kmsg
    n=0
    while ! tail -n +$((kmark + 1)) /tmp/f/kmsg | grep -qF "$tok"; do
        n=$((n + 1))
        [ $n -lt 400 ] || { fail "the kernel log copy lags (no $tok after 20 s)"; break; }
        usleep 50000
    done
    tail -n +$((kmark + 1)) /tmp/f/kmsg >/tmp/f/iterlog
}
# No splat, no lost callback, every exit record with invoked == enqueued, since lmark.
check_log() {
    lsync
    # A failed allocation's own report (warn_alloc: "vmalloc error: ..." or "page allocation
    # failure: ...", then a stack dump up to </TASK>) is what an injected fault should print.
    s=$(awk -v re="$splat_re" '
        { m = $0; sub(/^[^;]*;/, "", m) }
        m ~ /vmalloc error:|page allocation failure:/ { alloc = 1; print "warn_alloc " m >"/tmp/f/warn_alloc"; next }
        alloc && m ~ /<\/TASK>/ { alloc = 0; next }
        alloc && m ~ /Call Trace:/ { next }
        m ~ re { printf "%s ", m; if (++n == 3) exit }' /tmp/f/iterlog)
    [ -z "$s" ] || fail "kernel splat: $s"
    if [ -s /tmp/f/warn_alloc ]; then
        n_warn_alloc=$((n_warn_alloc + 1))
        note "$(head -n 1 /tmp/f/warn_alloc | cut -c 1-100)"
        rm -f /tmp/f/warn_alloc
    fi
    s=$(grep 'what=lost-callbacks' /tmp/f/iterlog | head -n 1)
    [ -z "$s" ] || fail "lost callbacks: ${s#*;}"
    s=$(awk '/rcu_unload: exit v=/ {
            e = "?"; v = "!"
            for (k = 1; k <= NF; k++) {
                if ($k ~ /^enqueued=/) e = substr($k, 10)
                if ($k ~ /^invoked=/) v = substr($k, 9)
            }
            if (e != v) { sub(/^[^;]*;/, ""); print; exit }
        }' /tmp/f/iterlog)
    [ -z "$s" ] || fail "exit record with invoked != enqueued: $s"
}
end_iter() {
    done_n=$((done_n + 1))
    if [ -z "$ifail" ]; then
        passed=$((passed + 1))
        echo "$P $i/$COUNT ok${inote:+ ($inote)}"
    else
        failed=$((failed + 1))
        echo "$P $i/$COUNT FAIL: $ifail${inote:+ ($inote)}"
        echo "iteration $i: $ifail${inote:+ ($inote)}" >>/tmp/f/failures
        [ -s /tmp/f/evidence ] || { echo "iteration $i: $ifail${inote:+ ($inote)}"; cat /tmp/f/ev; } >/tmp/f/evidence
        # The evidence of the first failure of each kind (its first 40 characters).
        kind=$(echo "$ifail" | cut -c 1-40)
        grep -qxF "$kind" /tmp/f/kinds 2>/dev/null ||
            { echo "$kind" >>/tmp/f/kinds; { echo "iteration $i: $ifail"; cat /tmp/f/ev; } >>/tmp/f/evidence-kinds; }
    fi
    [ -z "$inote" ] || echo "iteration $i: $inote" >>/tmp/f/notes
    ifail='' inote=''
    : >/tmp/f/ev
}
finish() {
    {
        echo "case $CASE"
        echo "kernel $(uname -r)"
        echo "iterations $done_n"
        echo "passed $passed"
        echo "failed $failed"
        echo "endcheck $endcheck"
        echo "--- summary"; cat /tmp/f/summary
        echo "--- failures"; cat /tmp/f/failures
        echo "--- first failure's evidence"; sed 's/^/  | /' /tmp/f/evidence
        echo "--- evidence of the first failure of each kind"; sed 's/^/  | /' /tmp/f/evidence-kinds 2>/dev/null
        echo "--- notes"; cat /tmp/f/notes
    } >/results.json
    echo "$P done: $passed of $done_n passed, end check $endcheck"
    [ $failed -eq 0 ] && [ "$endcheck" = ok ]
}

R=/sys/module/rcutree/parameters
A=/sys/module/$EXPEDITER/parameters
KNOBS="/sys/kernel/rcu_expedited $R/jiffies_till_first_fqs $R/jiffies_till_next_fqs $R/rcu_normal_wake_from_gp"
kv() { for f in $KNOBS; do [ ! -e "$f" ] || printf '%s=%s ' "${f##*/}" "$(cat "$f")"; done; }

# jcheck FILE: `rcu-unload report` reads the results or journal FILE; a journal has one cycle per
# complete line after its header (an unterminated last line may count or not).
jcheck() {
    lines=$(wc -l <"$1")
    if rcu-unload report --csv "$1" >/tmp/f/csv 2>/tmp/f/csv.err; then
        rows=$(($(wc -l </tmp/f/csv) - 1))
    elif grep -q 'no cycles recorded' /tmp/f/csv.err; then
        rows=0
    elif [ "$lines" -lt 2 ] && [ "${1%.partial}" != "$1" ]; then
        # Killed before its first cycle ended: nothing to read, but the journal says so oddly.
        n_odd=$((n_odd + 1))
        note "journal without a cycle unreadable ($(wc -c <"$1") bytes, $lines lines): $(oneline /tmp/f/csv.err 120)"
        [ -n "$odd_sample" ] || odd_sample="iteration $i: $(wc -c <"$1") bytes: $(head -c 300 "$1" | tr '\n' ' '); report: $(oneline /tmp/f/csv.err)"
        return
    else
        fail "report cannot read $1: $(oneline /tmp/f/csv.err)"
        { echo "== $1 (report: $(oneline /tmp/f/csv.err))"; head -c 2000 "$1"; echo; } >>/tmp/f/ev
        return
    fi
    note "$rows cycles in ${1##*/}"
    case $1 in *.partial) ;; *) return ;; esac
    if [ $rows -ne $((lines - 1)) ] && { [ -z "$(tail -c 1 "$1")" ] || [ $rows -ne $lines ]; }; then
        fail "report reads $rows cycles from $1, which has $((lines - 1)) complete cycle lines"
        { echo "== $1"; tail -c 1500 "$1"; echo; } >>/tmp/f/ev
    fi
}

case_kill_random() {
    orig=$(kv)
    summary "knobs before the first iteration: $orig"
    mkdir -p /tmp/kr
    n_odd=0 odd_sample='' n_graceful=0 n_mod=0 n_knobs=0 n_state=0 n_exp_on=0 exp_max=0 n_exp_left=0 n_prehandler=0
    for i in $(seq 1 "$COUNT"); do
        lmark
        specs='--strategy kick+knobs'
        case $(rnd 4) in
            1) specs="$specs --strategy barrier+expedite" ;;
            2) specs='--strategy barrier+expedite --strategy kick+expedite+knobs' ;;
            3) specs="$specs --strategy kick+expedite+knobs" ;;
        esac
        cbs=''
        [ "$(rnd 4)" -ne 0 ] || cbs='--callbacks 1000 --callbacks 20000'
        sig=KILL
        if [ $((i % 5)) -eq 0 ]; then
            set -- TERM HUP
            shift "$(rnd 2)"
            sig=$1
        fi
        j=/tmp/kr/$i.json ms=$(rnd 1501)
        # A run with +expedite unloads a leftover expediter at start and its own at the end; one
        # without leaves a leftover alone.
        exp_after=no
        case $specs in *expedite*) ;; *) ! loaded $EXPEDITER || exp_after=yes ;; esac
        # shellcheck disable=SC2086
        rcu-unload run --module /rcu_unload.ko $specs $cbs --cycles 100000 --json $j >/tmp/kr/$i.log 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        kill -"$sig" $pid 2>/dev/null
        t0=$(now_ms)
        rm -f /tmp/kr/wd
        (sleep 120; touch /tmp/kr/wd; kill -9 $pid 2>/dev/null) &
        wd=$!
        wait $pid
        rc=$?
        kill $wd 2>/dev/null
        if [ -e /tmp/kr/wd ]; then
            fail "SIG$sig did not stop the run: SIGKILLed 120 s later ($(tail -n 2 /tmp/kr/$i.log | tr '\n' ' '))"
            t0=$(now_ms)
        fi
        note "SIG$sig after $ms ms, exit $rc, $(echo "$specs" | sed 's/--strategy //g; s/ /,/g')${cbs:+ cb 1000,20000}"
        graceful=0
        if [ $sig != KILL ]; then
            if [ $rc -eq 130 ]; then
                graceful=1 n_graceful=$((n_graceful + 1))
            elif [ -e $j ] || [ -e $j.partial ]; then
                fail "SIG$sig: exit $rc, not 130 (stop after the cycle): $(tail -n 3 /tmp/kr/$i.log | tr '\n' ' ')"
            else
                n_prehandler=$((n_prehandler + 1)) # died of it before the handlers were in place
            fi
        fi
        if [ $graceful = 1 ]; then
            # Stopped by a catchable signal: the harness itself put everything back.
            [ -f $j ] || fail "stopped by SIG$sig (exit 130) without writing $j"
            [ ! -e $j.partial ] || fail "stopped by SIG$sig (exit 130) but left $j.partial"
            now=$(kv)
            [ "$now" = "$orig" ] || fail "knobs after the SIG$sig stop: $now"
            [ ! -e /run/rcu-unload/knobs.state ] || fail "knobs.state left by the SIG$sig stop"
            ! loaded rcu_unload || fail "rcu_unload loaded after the SIG$sig stop"
            if loaded $EXPEDITER; then
                [ $exp_after = yes ] || fail "the expediter loaded after the SIG$sig stop"
            fi
            [ ! -f $j ] || jcheck $j
        else
            # The expediter a dead harness left on switches itself off after max_on_ms.
            if loaded $EXPEDITER && [ "$(cat $A/active 2>/dev/null)" = 1 ]; then
                n_exp_on=$((n_exp_on + 1))
                max=$(cat $A/max_on_ms)
                while [ "$(cat $A/active 2>/dev/null)" = 1 ] && [ $(($(now_ms) - t0)) -le $((max + 2000)) ]; do
                    usleep 50000
                done
                el=$(($(now_ms) - t0))
                if [ "$(cat $A/active 2>/dev/null)" = 1 ]; then
                    fail "the expediter still on $el ms after the kill (max_on_ms $max): $(cat $A/stats)"
                else
                    note "expediter off $el ms after the kill"
                    [ $el -le $exp_max ] || exp_max=$el
                fi
            fi
            [ ! -e $j ] || fail "a killed run left $j, not only its journal"
            [ ! -e $j.partial ] || jcheck $j.partial
            # What the kill left, before the next start puts it back.
            now=$(kv)
            if [ "$now" != "$orig" ]; then
                n_knobs=$((n_knobs + 1))
                note "knobs left changed"
                [ -e /run/rcu-unload/knobs.state ] || fail "knobs left changed ($now) without a knobs.state to restore them from"
            fi
            [ ! -e /run/rcu-unload/knobs.state ] || n_state=$((n_state + 1))
            if loaded rcu_unload; then
                n_mod=$((n_mod + 1))
                note "rcu_unload left loaded ($(cat /sys/module/rcu_unload/initstate 2>/dev/null))"
            fi
            # The next harness start: the documented recovery (knobs from knobs.state).
            rcu-unload run --module /rcu_unload.ko --strategy kick --callbacks 0 --cycles 1 -q >/tmp/kr/$i.next.log 2>&1
            rrc=$?
            now=$(kv)
            [ "$now" = "$orig" ] || fail "knobs after the next harness start: $now (originals $orig)"
            [ ! -e /run/rcu-unload/knobs.state ] || fail "knobs.state still there after the next harness start"
            if loaded rcu_unload; then
                fail "rcu_unload still loaded after the next harness start (exit $rrc: $(oneline /tmp/kr/$i.next.log))"
                rmmod rcu_unload || fail "rmmod rcu_unload failed"
            elif [ $rrc -ne 0 ]; then
                fail "the next harness start failed (exit $rrc): $(oneline /tmp/kr/$i.next.log)"
            fi
            if loaded $EXPEDITER; then
                n_exp_left=$((n_exp_left + 1))
                note "expediter still loaded after a start without +expedite"
            fi
        fi
        check_log
        if [ -n "$ifail" ]; then
            {
                echo "killed run: rcu-unload run --module /rcu_unload.ko $specs $cbs --cycles 100000 --json $j; SIG$sig after $ms ms; exit $rc"
                echo "its output:"; tail -n 12 /tmp/kr/$i.log
                [ ! -f /tmp/kr/$i.next.log ] || { echo "next start (exit $rrc):"; tail -n 12 /tmp/kr/$i.next.log; }
                echo "kernel log (rcu_unload lines, last 8):"; grep 'rcu_unload' /tmp/f/iterlog | tail -n 8 | sed 's/^[^;]*;//'
            } >>/tmp/f/ev
        fi
        end_iter
    done
    i=end
    lmark
    rcu-unload run --module /rcu_unload.ko --strategy barrier+expedite --callbacks 0 --cycles 1 -q >/tmp/kr/final.log 2>&1 ||
        end_fail "the final run failed: $(oneline /tmp/kr/final.log)"
    now=$(kv)
    left=$(sed -n "s/^\\(rcu_unload\\|$EXPEDITER\\) .*/\\1/p" /proc/modules | tr '\n' ' ')
    [ "$now" = "$orig" ] || end_fail "knobs at the end: $now (originals $orig)"
    [ -z "$left" ] || end_fail "loaded at the end: $left"
    summary "at the end (after a barrier+expedite run): knobs $now; loaded: ${left:-nothing}"
    summary "stopped by a catchable signal (exit 130): $n_graceful; died of it before the handlers: $n_prehandler"
    summary "kills that left: rcu_unload loaded $n_mod, knobs changed $n_knobs, knobs.state $n_state, the expediter on $n_exp_on (off at most $exp_max ms after the kill)"
    summary "the expediter still loaded after the next start (a run without +expedite): $n_exp_left"
    summary "journals of killed runs without a complete cycle that report cannot read: $n_odd${odd_sample:+ (first: $odd_sample)}"
}

case_rmmod_race() {
    all_tries=''
    for i in $(seq 1 "$COUNT"); do
        lmark
        insmod /rcu_unload.ko callbacks=100000 tag=$i >/tmp/f/ins.log 2>&1 &
        ipid=$!
        tries=0 removed=0
        while :; do
            if rmmod rcu_unload 2>/dev/null; then removed=1; break; fi
            tries=$((tries + 1))
            if ! kill -0 $ipid 2>/dev/null && ! loaded rcu_unload; then break; fi
            [ $tries -lt 100000 ] || { fail "rmmod still refused after $tries tries"; break; }
        done
        wait $ipid
        irc=$?
        note "$tries rmmod refused before it worked"
        all_tries="$all_tries $tries"
        [ $irc -eq 0 ] || fail "insmod failed (exit $irc): $(oneline /tmp/f/ins.log)"
        [ $removed = 1 ] || fail "rmmod never succeeded"
        unload_left "after the race"
        check_log
        rec=$(grep "rcu_unload: exit v=1 tag=$i " /tmp/f/iterlog | head -n 1)
        case $rec in
            *" enqueued=100000 invoked=100000 "*) ;;
            '') [ $removed = 0 ] || fail "no exit record for tag=$i" ;;
            *) fail "exit record: ${rec#*;}" ;;
        esac
        ins_evidence 10
        end_iter
    done
    summary "rmmod refused (the load still running) before it worked: $(echo "$all_tries" | tr ' ' '\n' | sort -n | awk 'NF { v[++n] = $1 } END { if (n) printf "min %d, median %d, max %d over %d loads", v[1], v[int((n + 1) / 2)], v[n], n }')"
    left=$(sed -n 's/^\(rcu_unload\) .*/\1/p' /proc/modules)
    [ -z "$left" ] || end_fail "loaded at the end: $left"
}

case_fail_after() {
    slab() {
        echo 3 >/proc/sys/vm/drop_caches
        sleep 1
        awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } END { print s " " u }' /proc/meminfo
    }
    # One ordinary load first, so the kernel's own first-load allocations are not counted.
    insmod /rcu_unload.ko callbacks=1000 tag=1000000 && rmmod rcu_unload
    set -- $(slab)
    slab0=$1 unrec0=$2
    trend="0: $slab0/$unrec0"
    for i in $(seq 1 "$COUNT"); do
        lmark
        case $((i % 3)) in 0) cb=1000 ;; 1) cb=10000 ;; *) cb=100000 ;; esac
        k=$(($(rnd $((cb - 1))) + 1))
        extra=''
        case $((i % 10)) in 3) extra='readers=2' ;; 6) extra='churn=20' ;; 9) extra='readers=2 churn=20' ;; esac
        note "callbacks=$cb fail_after=$k${extra:+ $extra}"
        # shellcheck disable=SC2086
        insmod /rcu_unload.ko callbacks=$cb fail_after=$k tag=$i $extra >/tmp/f/ins.log 2>&1
        irc=$?
        [ $irc -ne 0 ] || fail "the load succeeded"
        grep -q 'Cannot allocate memory' /tmp/f/ins.log || fail "insmod (exit $irc) did not report ENOMEM: $(oneline /tmp/f/ins.log)"
        unload_left "after the load"
        check_log
        line=$(grep "rcu_unload: error v=1 tag=$i what=injected-fault" /tmp/f/iterlog | head -n 1)
        case $line in
            *" enqueued=$k invoked=$k") ;;
            '') fail "no what=injected-fault line for tag=$i" ;;
            *) fail "not enqueued=$k invoked=$k: ${line#*;}" ;;
        esac
        ins_evidence 10
        if [ $((i % 10)) -eq 0 ]; then
            set -- $(slab)
            trend="$trend, $i: $1/$2"
        fi
        end_iter
    done
    set -- $(slab)
    summary "Slab/SUnreclaim kB after loads (drop_caches first): $trend, end: $1/$2"
    summary "growth over the $COUNT loads: Slab $(($1 - slab0)) kB, SUnreclaim $(($2 - unrec0)) kB"
    [ $(($2 - unrec0)) -le 512 ] || end_fail "SUnreclaim grew by $(($2 - unrec0)) kB over $COUNT failed loads"
    ! loaded rcu_unload || end_fail "rcu_unload loaded at the end"
}

case_failslab() {
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
    F=/sys/kernel/debug/failslab
    if [ ! -d $F ]; then
        end_fail "no $F on this kernel"
        return
    fi
    grep -q initcall_debug /proc/cmdline || summary "no initcall_debug: init failures cannot be told from the loader's"
    # Warnings (a failed vmalloc's warn_alloc dump, lockdep) stay off the console, which would
    # count the expected dumps as splats; the job's own check reads every record (check_log).
    echo 4 >/proc/sys/kernel/printk
    echo Y >$F/task-filter
    echo 1 >$F/interval
    echo -1 >$F/times
    echo 0 >$F/verbose
    echo 0 >$F/space
    echo N >$F/ignore-gfp-wait # else GFP_KERNEL allocations (all of a load's) are never failed
    echo 0 >$F/probability
    # A load has hundreds of slab allocations, so a probability of even 1 % fails it in the
    # kernel's loader before the module's init runs. Odd iterations fail every allocation of the
    # insmod after a point instead, with the same task filter: probability 100, times -1 and
    # `space` (bytes let through first) set to Z - X, Z being the bytes a load allocates (exec of
    # insmod included; what is left of a large space after one load), X random below 16384 (the
    # load's tail: the module's init and what follows it), every 8th X anywhere in the load.
    # A single failure (times 1, or /proc/self/fail-nth) never failed a load here: it lands
    # mostly on kmemleak's own metadata (the larger allocations), which falls back to its pool.
    i=calibrate
    insmod_failing() { # insmod_failing PARAMS: insmod in a shell whose task fails allocations
        sh -c "echo 1 >/proc/self/make-it-fail && exec insmod /rcu_unload.ko $1"
    }
    load_bytes() {
        echo 100 >$F/probability
        echo -1 >$F/times
        echo 100000000 >$F/space
        insmod_failing "$1" >/dev/null 2>&1
        left=$(cat $F/space)
        echo 0 >$F/probability
        echo 0 >$F/space
        ! loaded rcu_unload || rmmod rcu_unload
        echo $((100000000 - left))
    }
    Z=$(load_bytes 'callbacks=1000 tag=999999')
    ZR=$(load_bytes 'callbacks=1000 tag=999999 readers=2')
    summary "failslab space: a load allocates $Z bytes ($ZR with readers=2) in slab, exec of insmod included"
    n_ok=0 n_init=0 n_loader=0 n_pre=0 errs=''
    for i in $(seq 1 "$COUNT"); do
        lmark
        params="callbacks=1000 tag=$i"
        [ $((i % 3)) -ne 0 ] || params="$params readers=2"
        if [ $((i % 2)) -eq 0 ]; then
            set -- 1 10 20 30 50
            shift $(((i / 2 - 1) % 5))
            p=$1
            echo "$p" >$F/probability
            insmod_failing "$params" >/tmp/f/ins.log 2>&1
            irc=$?
            echo 0 >$F/probability
            note "p=$p% $params"
        else
            z=$Z
            case $params in *readers*) z=$ZR ;; esac
            if [ $((i % 8)) -eq 7 ]; then x=$(rnd $z); else x=$(rnd 16384); fi
            echo 100 >$F/probability
            echo $((z - x)) >$F/space
            insmod_failing "$params" >/tmp/f/ins.log 2>&1
            irc=$?
            echo 0 >$F/probability
            note "space=Z-$x, all after it fail, $params"
            echo 0 >$F/space
        fi
        lsync
        if [ $irc -eq 0 ]; then
            n_ok=$((n_ok + 1))
            note loaded
            grep -q "rcu_unload: init v=1 tag=$i " /tmp/f/iterlog || fail "loaded without an init record"
            rmmod rcu_unload || fail "rmmod failed after a load that worked"
            lsync
            grep -q "rcu_unload: exit v=1 tag=$i " /tmp/f/iterlog || fail "no exit record for tag=$i"
        else
            msg=$(oneline /tmp/f/ins.log)
            initret=$(grep -E 'initcall .*\[rcu_unload\] returned' /tmp/f/iterlog | head -n 1)
            err=$(grep "rcu_unload: error v=1 tag=$i " /tmp/f/iterlog | head -n 1)
            case $msg in
                *"can't insert"*)
                    if [ -n "$initret" ]; then
                        n_init=$((n_init + 1))
                        note "init failed: ${err:-no module line}"
                        [ -n "$err" ] || fail "the module's init failed (${initret#*;}) without an rcu_unload error line: $msg"
                        errs="$errs$(echo "${err#*what=}" | cut -d' ' -f1-2 | tr ' ' :) "
                    else
                        n_loader=$((n_loader + 1))
                        note "the kernel's loader failed: ${msg#*: }"
                        [ -z "$err" ] || note "an rcu_unload error line without the initcall line: ${err#*;}"
                    fi
                    ;;
                *) n_pre=$((n_pre + 1)); note "insmod failed before the load: $msg" ;;
            esac
            unload_left "after a load that failed"
        fi
        check_log
        ins_evidence 15
        end_iter
    done
    summary "loads that worked $n_ok; failed in the module's init $n_init; in the kernel's loader $n_loader; before the syscall $n_pre; iterations with a warn_alloc dump (an injected vmalloc failure) $n_warn_alloc"
    summary "init failures by what/err: $(echo "$errs" | tr ' ' '\n' | grep . | sort | uniq -c | tr -s ' \n' ' ')"
    ! loaded rcu_unload || end_fail "rcu_unload loaded at the end"
    KL=/sys/kernel/debug/kmemleak
    i=kmemleak
    if echo scan 2>/tmp/f/kl.err >$KL; then
        sleep 6
        echo scan >$KL
        cat $KL >/tmp/f/kmemleak
        total=$(grep -c '^unreferenced object' /tmp/f/kmemleak)
        awk '/^unreferenced object/ { if (b ~ /rcu_unload/) printf "%s", b; b = "" } { b = b $0 "\n" }
             END { if (b ~ /rcu_unload/) printf "%s", b }' /tmp/f/kmemleak >/tmp/f/kl.ours
        ours=$(grep -c '^unreferenced object' /tmp/f/kl.ours)
        summary "kmemleak: $total unreferenced objects, $ours naming rcu_unload"
        [ "$total" -eq 0 ] || { echo "kmemleak (first 60 lines):"; head -n 60 /tmp/f/kmemleak; } >>/tmp/f/summary
        [ "$ours" -eq 0 ] || end_fail "kmemleak: $ours unreferenced objects naming rcu_unload: $(head -n 12 /tmp/f/kl.ours | tr '\n' ' ')"
    else
        summary "kmemleak scan failed: $(oneline /tmp/f/kl.err); kernel: $(grep -i kmemleak /tmp/f/kmsg | tail -n 2 | sed 's/^[^;]*;//' | tr '\n' ' ')"
    fi
}

case_$(echo "$CASE" | tr - _)
finish
JOB
    } >"$3"
}

# md_cell TEXT: one Markdown table cell (no pipes or newlines).
md_cell() { printf '%s' "$1" | tr '\n' ' ' | sed 's/|/\\|/g'; }
printf '| case | kernel | iterations | passed | failures | wall s |\n| --- | --- | ---: | ---: | --- | ---: |\n'
for c in "${cases[@]}"; do
    [[ -n $c ]] || continue
    n=${count:-${default_count[$c]}}
    dir=$out/$c-$kernel
    job=$out/jobs/$c-$kernel.sh
    mkdir -p "$dir"
    write_job "$c" "$n" "$job"
    append='' t=${timeout:-1800}
    [[ $c != failslab ]] || { append=initcall_debug; t=${timeout:-3600}; }
    { read -r kdir && read -r base; } < <("$RCU_UNLOAD_SCRIPTS/prepare-guest.sh" "$kernel" "$harness")
    [[ -n ${base:-} ]] || die "preparing the guest for kernel '$kernel' failed"
    start=$(date +%s)
    rc=0
    "$RCU_UNLOAD_SCRIPTS/qemu-run.sh" --kernel "$kdir/vmlinuz" --initrd "$base" --job "$job" \
        --append "$append" --timeout "$t" --log "$dir/console.log" --out "$dir/outcome.txt" || rc=$?
    wall=$(($(date +%s) - start))
    o=$dir/outcome.txt
    field() { sed -n "/^---/q; s/^$1 //p" "$o" 2>/dev/null; }
    iters=$(field iterations) passed=$(field passed) failed=$(field failed) endcheck=$(field endcheck)
    failures=''
    if [[ -n $failed && $failed != 0 ]]; then
        failures="$failed: first $(sed -n '/^--- failures/{n;p;q}' "$o")"
    fi
    [[ -z $endcheck || $endcheck == ok ]] || failures="${failures:+$failures; }end: $endcheck"
    if ((rc != 0)); then
        boot="boot status $rc"
        ((rc != 125)) || boot+=" (splat: $(grep -a -m1 -E 'Oops|BUG:|WARNING:|Kernel panic|detected stall|INFO: rcu_|blocked for more than|general protection fault|KASAN:|UBSAN:|Call Trace:' "$dir/console.log" | tr -d '\r'))"
        ((rc != 124)) || boot+=" (timeout ${t} s)"
        [[ -s $o ]] || { iters=$(grep -a -c "^rcu-unload faults: $c [0-9]*/" "$dir/console.log" || true); boot+=", no outcome"; }
        failures="${failures:+$failures; }$boot"
    fi
    row="| $c | $kernel | ${iters:-0} | ${passed:-0} | $(md_cell "${failures:-0}") | $wall |"
    echo "$row"
    echo "$row" >>"$out/table.md"
    log "$c on $kernel: ${passed:-0}/${iters:-0} passed, boot status $rc, ${wall} s; outcome $o, console $dir/console.log"
done
