#!/usr/bin/env bash
# mkinitramfs.sh --out FILE --harness BIN --module KO [--extra SRC[=DEST]]... [--tree DIR]...
# Build the base guest initramfs (gzip'd newc cpio, reproducible): busybox (Debian's
# busybox-static) with its applet links, /init = scripts/guest-init, the harness at
# /bin/rcu-unload (debug info stripped) with every shared library ldd lists and the ELF
# interpreter at the same paths, the module at /rcu_unload.ko, and each --extra file at DEST
# (default /basename; dynamically linked executables bring their libraries too), and each --tree
# DIR's contents at / (the kernel's own modules with their modules.dep, from guest-modules.sh).
# /job.sh comes per boot from mkjob.sh.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out='' harness='' module=''
extras=() trees=()
while (($#)); do
    case $1 in
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        --module) module=${2:?--module needs a value}; shift 2 ;;
        --extra) extras+=("${2:?--extra needs a value}"); shift 2 ;;
        --tree) trees+=("${2:?--tree needs a value}"); shift 2 ;;
        -h | --help) usage ;;
        *) log "unknown argument '$1'"; usage ;;
    esac
done
[[ -n $out && -n $harness && -n $module ]] || usage
need_file "$harness" "harness binary (--harness)"
need_file "$module" "kernel module (--module)"
need_cmd ldd libc-bin

busybox=/bin/busybox
need_cmd readelf binutils
# A static executable has no program interpreter: it runs in the guest without a libc.
if ! "$busybox" --list 2>/dev/null | grep -qx insmod ||
    readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
    log "static busybox missing at $busybox, installing busybox-static"
    apt-get install -y busybox-static >&2 || die "apt-get install busybox-static failed ($busybox needed)"
fi

tmp=
tmpdir_removed_on_exit
stage=$tmp/root
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}

# add_file SRC DEST [MODE]: copy SRC (dereferenced) to DEST inside the staging root.
add_file() {
    local mode=${3:-}
    mkdir -p "$stage$(dirname "$2")"
    cp -L "$1" "$stage$2"
    if [[ -n $mode ]]; then chmod "$mode" "$stage$2"; fi
}
# add_libs BIN: copy the shared libraries and ELF interpreter of BIN (if dynamic) at their paths.
add_libs() {
    local lines lib
    [[ $(head -c4 "$1" | od -An -c | tr -d ' ') == 177ELF ]] || return 0
    lines=$(LC_ALL=C ldd "$1" 2>&1) || return 0 # "not a dynamic executable": nothing to add
    if grep -q 'not found' <<<"$lines"; then
        die "ldd '$1': missing libraries: $(grep 'not found' <<<"$lines" | tr -s '\t\n' '  ')"
    fi
    while read -r lib; do
        [[ -e $stage$lib ]] || add_file "$lib" "$lib"
    done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$lines")
}

add_file "$busybox" /bin/busybox 0755
# One relative link per applet ("sbin/insmod" -> "../bin/busybox"); perl: no fork per link.
"$busybox" --list-full | (cd "$stage" && perl -nle '
    next if $_ eq "bin/busybox" || -e $_;
    (my $up = $_) =~ s{[^/]+/}{../}g; $up =~ s{[^/]*$}{};
    symlink("${up}bin/busybox", $_) or die "symlink $_: $!\n";') ||
    die "creating the busybox applet links in $stage failed"
add_file "$RCU_UNLOAD_SCRIPTS/guest-init" /init 0755
add_file "$harness" /bin/rcu-unload 0755
# Debug info is of no use in the guest and only makes the initramfs slower to boot.
if command -v strip >/dev/null 2>&1; then
    strip --strip-debug "$stage/bin/rcu-unload" || die "strip --strip-debug of the harness '$harness' failed"
fi
add_libs "$harness"
add_file "$module" /rcu_unload.ko 0644
for spec in "${extras[@]}"; do
    parse_extra "$spec"
    need_file "$_src" "extra file (--extra $spec)"
    add_file "$_src" "$_dest"
    add_libs "$_src"
done
for dir in "${trees[@]}"; do
    [[ -d $dir ]] || die "--tree $dir is not a directory"
    (cd "$dir" && find . -mindepth 1 ! -name .modules -print0 | cpio -p0dm --quiet "$stage") ||
        die "copying the tree $dir into the initramfs failed"
done
mkdir -p "$(dirname "$out")"
cpio_gz_from_dir "$stage" "$out"
log "wrote $out ($(du -h "$out" | cut -f1))"
