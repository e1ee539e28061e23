#!/usr/bin/env bash
# mkjob.sh --out FILE.cpio.gz --job SCRIPT [--file SRC[=DEST]]...
# Build the small per-boot gzip'd cpio holding /job.sh (and optional extra files, default DEST
# /basename). Boot it appended to the base initramfs: cat base.cpio.gz job.cpio.gz > initrd.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out='' job=''
files=()
while (($#)); do
    case $1 in
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --job) job=${2:?--job needs a value}; shift 2 ;;
        --file) files+=("${2:?--file needs a value}"); shift 2 ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $out && -n $job ]] || usage
need_file "$job" "job script (--job)"
tmp=
tmpdir_removed_on_exit
install -D -m 0755 "$job" "$tmp/root/job.sh"
for spec in "${files[@]}"; do
    parse_extra "$spec"
    need_file "$_src" "job file (--file $spec)"
    install -D -m "$(stat -c %a "$_src")" "$_src" "$tmp/root$_dest"
done
mkdir -p "$(dirname "$out")"
cpio_gz_from_dir "$tmp/root" "$out"
