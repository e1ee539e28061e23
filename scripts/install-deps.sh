#!/usr/bin/env bash
# install-deps.sh: install, with apt, the Debian 12 packages rcu-unload needs on the host.
# Installs only what is missing; kernels are never installed here (fetch-kernel.sh unpacks
# them into the cache instead).
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"

packages=(
    # harness and tests
    g++ make cmake pkg-config libkmod-dev libcli11-dev nlohmann-json3-dev libfmt-dev catch2
    # a module file's ELF image before loading it, decompressed as libkmod would
    liblzma-dev libzstd-dev zlib1g-dev
    gnuplot-nox
    # the libFuzzer targets (make fuzzers): clang with its compiler-rt (fuzzer, ASan, UBSan)
    clang libclang-rt-14-dev
    # external module builds against Debian's headers (kbuild's tools need libelf/libssl;
    # 6.12 runs pahole for module BTF)
    gcc-12 g++-12 libelf1 libssl3 binutils dwarves
    # kernels built from Debian's linux-source-6.1 (build-kernel.sh)
    gcc make flex bison bc perl libc6-dev libelf-dev libssl-dev
    # guest images and boots
    qemu-system-x86 busybox-static cpio gzip
    # depmod: modules.dep for the kernel modules guests carry (guest-modules.sh)
    kmod
    # fetch-kernel.sh decompresses the kernel once so the guest boots without unpacking it
    xz-utils zstd lz4
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
sudo=()
((EUID == 0)) || sudo=(sudo)
log "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
