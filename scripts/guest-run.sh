#!/usr/bin/env bash
# guest-run.sh --kernel NAME --out DIR [--append "CMDLINE"] [--smp N] [--timeout S]
#              [--harness BIN] [--cycles-per N] [--module PATH|NAME] [--job FILE]
#              -- RCU-UNLOAD-RUN-ARGS...
# One boot, end to end: fetch or build the kernel NAME (get-kernel.sh: Debian's deb-*, or a
# configuration in configs/), build rcu_unload.ko against it, build the initramfs, boot QEMU running
# `rcu-unload run --module /rcu_unload.ko RCU-UNLOAD-RUN-ARGS... --json /results.json`,
# and leave DIR/results.json and DIR/console.log. The run's progress lines (it runs with --verbose)
# reach the host's stderr as the guest prints them (qemu-run.sh), and the report is printed on the
# host's stdout at the end. Exit status as qemu-run.sh's.
# --module: time another module instead of /rcu_unload.ko, e.g. `--module fuse` (a name from the
# guest's /lib/modules/<release>, guest-modules.sh's list) or a path inside the guest; after the
# run the job fails (status 4) if that module or the resident expediter is still loaded.
# --job FILE: boot with this job script instead (RCU-UNLOAD-RUN-ARGS are then ignored).
# --cycles-per N: the same as `--cycles N` among RCU-UNLOAD-RUN-ARGS: N cycles per strategy spec x
# callbacks value (the harness expands `all` and computes the total itself).
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

name='' out='' append='' smp=2 timeout=600 harness=$top/build/user/rcu-unload cycles_per=''
module='' job_file=''
while (($#)); do
    case $1 in
        --kernel) name=${2:?--kernel needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --append) append=${2?--append needs a value}; shift 2 ;;
        --smp) smp=${2:?--smp needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        --cycles-per) cycles_per=${2:?--cycles-per needs a value}; shift 2 ;;
        --module) module=${2:?--module needs a value}; shift 2 ;;
        --job) job_file=${2:?--job needs a value}; shift 2 ;;
        --) shift; break ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $name && -n $out ]] || usage
[[ -z $cycles_per || $cycles_per =~ ^[1-9][0-9]*$ ]] || die "--cycles-per takes a positive integer"
need_file "$harness" "harness (build it with 'make user')"

cycles_arg=()
if [[ -n $cycles_per ]]; then
    for arg in "$@"; do [[ $arg != --cycles ]] || die "--cycles-per and a run --cycles exclude each other"; done
    cycles_arg=(--cycles "$cycles_per")
fi

{ read -r kdir && read -r base; } < <("$RCU_UNLOAD_SCRIPTS/prepare-guest.sh" "$name" "$harness")
[[ -n ${base:-} ]] || die "preparing the guest for kernel '$name' failed"
mkdir -p "$out"

# quoted WORD...: each WORD after a blank, quoted for the guest's shell.
quoted() { local w; for w in "$@"; do printf ' %q' "$w"; done; }
job=$out/job.sh
{
    echo '#!/bin/sh'
    if [[ -n $module ]]; then
        printf '/bin/rcu-unload run --verbose --module %q' "$module"
    else
        printf 'exec /bin/rcu-unload run --verbose --module /rcu_unload.ko'
    fi
    quoted "${cycles_arg[@]}"
    quoted "$@"
    printf ' --json /results.json\n'
    if [[ -n $module ]]; then
        # Nothing may stay loaded: the module (its dependencies are left loaded on purpose) and the expediter.
        m=${module##*/}
        m=${m%%.ko*}
        m=${m//-/_}
        cat <<JOB
rc=\$?
left=\$(sed -n 's/^\($m\|$RCU_UNLOAD_EXPEDITER\) .*/\1/p' /proc/modules | tr '\n' ' ')
[ -z "\$left" ] || { echo "rcu-unload job: left loaded: \$left"; [ \$rc -ne 0 ] || rc=4; }
exit \$rc
JOB
    fi
} >"$job"
[[ -z $job_file ]] || cp "$job_file" "$job"
rm -f "$out/results.json"
rc=0
"$RCU_UNLOAD_SCRIPTS/qemu-run.sh" --kernel "$kdir/vmlinuz" --initrd "$base" --job "$job" \
    --append "$append" --smp "$smp" --timeout "$timeout" --log "$out/console.log" \
    --out "$out/results.json" || rc=$?
# The report on the host, from the results the guest printed.
[[ ! -s $out/results.json ]] || "$harness" report "$out/results.json" || true
exit "$rc"
