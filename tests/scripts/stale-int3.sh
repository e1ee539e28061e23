#!/usr/bin/env bash
# stale_int3_trap (scripts/common.sh), which decides whether qemu-run.sh boots again, on a console
# that QEMU's stale translation crashed (data/stale-int3.console, a Debian 6.12 boot), on the same
# Oops with the int3 in memory (a guest's own int3: never retried), and on consoles without one;
# then qemu-run.sh with a fake QEMU whose first boots print those consoles.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
data=$(dirname "${BASH_SOURCE[0]}")/data
tmp=''
tmpdir_removed_on_exit
failed=0
check() { # NAME EXPECTED CONSOLE
    local got
    got=$(stale_int3_trap "$3")
    if [[ $got == "$2" ]]; then echo "ok - $1"; else echo "not ok - $1: got '$got', expected '$2'"; failed=1; fi
}

check "stale translation" "int3 trap before sched_clock_cpu+0x9/0x190, where memory holds 66" "$data/stale-int3.console"
sed 's/ 53 66 <90> / 53 cc <90> /' "$data/stale-int3.console" >"$tmp/real-int3.console"
check "int3 in memory" "" "$tmp/real-int3.console"
sed 's/Oops: int3: 0000/int3: 0000/' "$data/stale-int3.console" >"$tmp/6.1-format.console"
check "6.1's format (no Oops: prefix)" "int3 trap before sched_clock_cpu+0x9/0x190, where memory holds 66" "$tmp/6.1-format.console"
sed 's/Oops: int3: 0000/Oops: general protection fault: 0000/' "$data/stale-int3.console" >"$tmp/gpf.console"
check "another Oops" "" "$tmp/gpf.console"
grep -v 'Code: ' "$data/stale-int3.console" >"$tmp/no-code.console"
check "no Code: line" "" "$tmp/no-code.console"

# qemu-run.sh against a fake qemu-system-x86_64 that prints, boot after boot, the consoles listed
# in $tmp/boots: a clean boot after the stale one passes, the guest's own int3 is not retried.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/qemu-system-x86_64" <<'FAKE'
#!/usr/bin/env bash
next=$(head -n1 "$FAKE_QEMU_BOOTS")
sed -i 1d "$FAKE_QEMU_BOOTS"
cat "$next"
FAKE
chmod +x "$tmp/bin/qemu-system-x86_64"
printf '[    1.0] ok\n@@RCU-UNLOAD-EXIT 0@@\n' >"$tmp/clean.console"
touch "$tmp/kernel" "$tmp/initrd"
qemu_run() { # EXPECTED-STATUS EXPECTED-BOOTS-LEFT NAME CONSOLE...
    local want=$1 left=$2 name=$3 file=$tmp/${3//[^a-z]/-} status=0
    shift 3
    printf '%s\n' "$@" >"$tmp/boots"
    PATH=$tmp/bin:$PATH FAKE_QEMU_BOOTS=$tmp/boots RCU_UNLOAD_QEMU_STALE_RETRIES=1 \
        "$(dirname "${BASH_SOURCE[0]}")/../../scripts/qemu-run.sh" --kernel "$tmp/kernel" --initrd "$tmp/initrd" \
        --log "$file.log" 2>"$file.stderr" || status=$?
    if [[ $status == "$want" && $(wc -l <"$tmp/boots") == "$left" ]]; then
        echo "ok - qemu-run.sh: $name"
    else
        echo "not ok - qemu-run.sh: $name: status $status (expected $want), $(wc -l <"$tmp/boots") boots left (expected $left)"
        sed 's/^/# /' "$file.stderr"
        failed=1
    fi
}
qemu_run 0 0 "stale, then clean" "$data/stale-int3.console" "$tmp/clean.console"
if cmp -s "$data/stale-int3.console" "$tmp/stale--then-clean.log.stale-int3.1"; then
    echo "ok - qemu-run.sh keeps the lost boot's console"
else
    echo "not ok - qemu-run.sh keeps the lost boot's console"; failed=1
fi
qemu_run 125 1 "guest's own int3" "$tmp/real-int3.console" "$tmp/clean.console"
qemu_run 125 1 "stale twice, one retry" "$data/stale-int3.console" "$data/stale-int3.console" "$tmp/clean.console"
exit "$failed"
