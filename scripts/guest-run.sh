#!/usr/bin/env bash
# guest-run.sh --kernel NAME --out DIR [--append "CMDLINE"] [--smp N] [--timeout S]
#              [--harness BIN] -- RCU-UNLOAD-RUN-ARGS...
# One boot, end to end: fetch or build the kernel NAME (get-kernel.sh: Debian's deb-*, or a
# configuration in configs/), build rcu_unload.ko against it, build the initramfs, boot QEMU running
# `rcu-unload run --module /rcu_unload.ko RCU-UNLOAD-RUN-ARGS... --json /results.json`,
# and leave DIR/results.json and DIR/console.log. Exit status as qemu-run.sh's.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

usage() { sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2; }
name='' out='' append='' smp=2 timeout=600 harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --kernel) name=${2:?--kernel needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --smp) smp=${2:?--smp needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        --) shift; break ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $name && -n $out ]] || usage
need_file "$harness" "harness (build it with 'make user')"

{ read -r kdir && read -r base; } < <("$RCU_UNLOAD_SCRIPTS/prepare-guest.sh" "$name" "$harness")
[[ -n ${base:-} ]] || die "preparing the guest for kernel '$name' failed"
mkdir -p "$out"

job=$out/job.sh
{
    echo '#!/bin/sh'
    printf 'exec /bin/rcu-unload run --module /rcu_unload.ko'
    printf ' %q' "$@"
    printf ' --json /results.json\n'
} >"$job"
rm -f "$out/results.json"
exec "$RCU_UNLOAD_SCRIPTS/qemu-run.sh" --kernel "$kdir/vmlinuz" --initrd "$base" --job "$job" \
    --append "$append" --smp "$smp" --timeout "$timeout" --log "$out/console.log" \
    --out "$out/results.json"
