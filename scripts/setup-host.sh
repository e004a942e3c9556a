#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the harness needs and is missing: Debian packages and a pinned
# bindgen-cli. Does nothing (quickly) when everything is there.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

# The kernel's Rust toolchain (rustc-web with its exactly matching source),
# LLVM 19 for LLVM=1 builds and bindgen's libclang, the guest (QEMU,
# busybox), kernel build dependencies and the selftests' static libc; the
# linters (clippy, rustfmt, codespell, docutils for Documentation/*.rst).
packages=(
	rustc-web rust-web-src
	clang-19 lld-19 llvm-19 libclang-19-dev
	qemu-system-x86 busybox-static
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio kmod
	python3 rsync xz-utils perl
	rustfmt-web rust-web-clippy codespell
	python3-docutils
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	step "apt: installing ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	info "packages: all ${#packages[@]} present"
fi

if [ ! -x "$TC_BINDGEN" ] || [ "$("$TC_BINDGEN" --version 2>/dev/null)" != "bindgen $TC_BINDGEN_VERSION" ]; then
	step "cargo: installing bindgen-cli $TC_BINDGEN_VERSION (a few minutes)"
	cargo install --locked --version "$TC_BINDGEN_VERSION" bindgen-cli
else
	info "bindgen $TC_BINDGEN_VERSION present"
fi
