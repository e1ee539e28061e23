# shellcheck shell=bash
# Helpers sourced by the scripts in this directory (bash, set -euo pipefail).

RCU_UNLOAD_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RCU_UNLOAD_CACHE=${RCU_UNLOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rcu-unload}
# Absolute: unpacked kernel headers refer to their own root by this path.
[[ $RCU_UNLOAD_CACHE == /* ]] || RCU_UNLOAD_CACHE=$PWD/$RCU_UNLOAD_CACHE
# Fixed timestamp for every file put into an archive, so archives are reproducible.
RCU_UNLOAD_EPOCH=${SOURCE_DATE_EPOCH:-0}
export RCU_UNLOAD_CACHE RCU_UNLOAD_SCRIPTS
# The resident expediter's module name, from the contract (RU_EXPEDITER_MODULE).
RCU_UNLOAD_EXPEDITER=$(sed -n 's/^#define RU_EXPEDITER_MODULE "\([a-z_]*\)"$/\1/p' \
    "$RCU_UNLOAD_SCRIPTS/../include/uapi/rcu_unload.h")
[[ -n $RCU_UNLOAD_EXPEDITER ]] || { echo "RU_EXPEDITER_MODULE not found in include/uapi/rcu_unload.h" >&2; exit 1; }

_rcu_prog=$(basename "$0")

log() { printf '%s: %s\n' "$_rcu_prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$_rcu_prog" "$*" >&2; exit 1; }

# need_cmd CMD [DEBIAN-PACKAGE]: fail clearly if CMD is missing.
need_cmd() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ -n ${2:-} ]]; then
        die "command '$1' not found (install the Debian package '$2': apt-get install $2)"
    fi
    die "command '$1' not found"
}

# need_file PATH WHAT: fail clearly if PATH is not a readable regular file.
need_file() {
    [[ -f $1 && -r $1 ]] || die "$2 '$1' does not exist or is not a readable file"
}

# tmpdir_removed_on_exit: create a temp dir, remove it (and earlier ones) when the script exits.
# Call it as `tmp=$(...)` is not possible (the trap must be set in this shell), so it sets $tmp.
_rcu_tmpdirs=()
_rcu_cleanup() { ((${#_rcu_tmpdirs[@]})) && rm -rf -- "${_rcu_tmpdirs[@]}"; return 0; }
tmpdir_removed_on_exit() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/rcu-unload.XXXXXX")
    _rcu_tmpdirs+=("$tmp")
    trap _rcu_cleanup EXIT
}

# cpio_gz_from_dir STAGEDIR OUT: write STAGEDIR as a reproducible gzip'd newc cpio to OUT
# (files owned by root, fixed mtimes, sorted names); written atomically.
cpio_gz_from_dir() {
    local stage=$1 out=$2
    need_cmd cpio cpio
    find "$stage" -exec touch -h -d "@$RCU_UNLOAD_EPOCH" {} +
    (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --quiet --null -o -H newc --owner 0:0 --reproducible) |
        gzip -n -6 >"$out.tmp.$$" || { rm -f "$out.tmp.$$"; die "writing cpio archive '$out' failed"; }
    mv -f "$out.tmp.$$" "$out"
}

# parse_extra SPEC: split "SRC[=DEST]" into _src and _dest (DEST defaults to /basename).
parse_extra() {
    _src=${1%%=*}
    if [[ $1 == *=* ]]; then _dest=${1#*=}; else _dest=/$(basename "$_src"); fi
    [[ $_dest == /* ]] || _dest=/$_dest
}

# usage: print the comment block at the top of the running script (from its second line to the
# first line that is not a comment, or a shellcheck directive, without the "# ") on stderr and
# exit 2. Each script's header is its usage text.
usage() {
    awk 'NR == 1 {next} !/^#/ || /^# shellcheck/ {exit} {sub(/^# ?/, ""); print}' "$0" >&2
    exit 2
}

# The experiment table (docs/interfaces.md, "Experiments").
RCU_UNLOAD_EXPERIMENTS=${RCU_UNLOAD_EXPERIMENTS:-$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)/configs/experiments.tsv}

# experiments SUITE [LABEL...]: the table's lines that belong to SUITE (every one in table order,
# or the LABELs given in that order), each printed as LABEL CYCLES KERNEL APPEND PARAMS SPECS
# CHECK TIMEOUT VCPUS, tab-separated, CYCLES being SUITE's. Dies on a malformed line or an unknown LABEL.
experiments() {
    local suite=$1
    shift
    need_file "$RCU_UNLOAD_EXPERIMENTS" "experiment table"
    awk -F'\t' -v suite="$suite" -v wanted="$*" -v table="$RCU_UNLOAD_EXPERIMENTS" -v prog="$_rcu_prog" '
        function fail(msg) { printf "%s: error: %s\n", prog, msg > "/dev/stderr"; bad = 1; exit 1 }
        BEGIN { n = split(wanted, want, " ") }
        /^#/ || /^[[:space:]]*$/ { next }
        NF != 9 { fail(table ":" NR ": " NF " fields, expected 9 tab-separated") }
        {
            cycles = ""
            k = split($2, s, ",")
            for (i = 1; i <= k; i++) {
                if (s[i] !~ /^(test|matrix|bench|bench-modules|stress):[1-9][0-9]*$/) fail(table ":" NR ": bad suite " s[i])
                split(s[i], p, ":")
                if (p[1] == suite) cycles = p[2]
            }
            if (cycles == "") next
            line[$1] = $1 "\t" cycles "\t" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9
            order[++rows] = $1
        }
        END {
            if (bad) exit 1
            if (n == 0) { for (i = 1; i <= rows; i++) print line[order[i]]; exit 0 }
            for (i = 1; i <= n; i++) {
                if (!(want[i] in line)) {
                    labels = ""
                    for (j = 1; j <= rows; j++) labels = labels " " order[j]
                    fail("no " suite " experiment " want[i] " in " table " (" suite ":" labels ")")
                }
                print line[want[i]]
            }
        }' "$RCU_UNLOAD_EXPERIMENTS"
}

# stale_int3_trap CONSOLE: QEMU 7.2's multi-threaded TCG can keep a translation made while
# text_poke_bp() had an int3 in place and run it after the final bytes are written (seen at
# boot, as "sched_clock: Marking stable" flips a static key; docs/bench/2026-11-29-stale-int3.md).
# The kernel then finds no patch in progress and oopses on an int3 that memory no longer holds.
# The Oops's Code: line shows memory, the trapping int3 just before <..>: when that byte is not cc,
# the guest never executed it. Prints what it found in the console log CONSOLE (CR LF already made
# LF), or nothing.
stale_int3_trap() {
    awk '/int3: [0-9a-f]+ \[#[0-9]+\]/ {oops = 1}
         oops && /RIP: / {rip = $0; sub(/^.*RIP: [0-9a-f]+:/, "", rip)}
         oops && /Code: / {
             if (match($0, /[0-9a-f][0-9a-f] <[0-9a-f][0-9a-f]>/)) {
                 trap = substr($0, RSTART, 2)
                 if (trap != "cc") printf "int3 trap before %s, where memory holds %s", rip, trap
             }
             exit
         }' "$1"
}
