# shellcheck shell=bash
# Helpers sourced by the scripts in this directory (bash, set -euo pipefail).

RCU_UNLOAD_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RCU_UNLOAD_CACHE=${RCU_UNLOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rcu-unload}
# Absolute: unpacked kernel headers refer to their own root by this path.
[[ $RCU_UNLOAD_CACHE == /* ]] || RCU_UNLOAD_CACHE=$PWD/$RCU_UNLOAD_CACHE
# Fixed timestamp for every file put into an archive, so archives are reproducible.
RCU_UNLOAD_EPOCH=${SOURCE_DATE_EPOCH:-0}
export RCU_UNLOAD_CACHE RCU_UNLOAD_SCRIPTS

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
