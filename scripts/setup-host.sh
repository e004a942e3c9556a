#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the harness needs and is missing: Debian packages and a pinned
# bindgen-cli. Does nothing (quickly) when everything is there.
#
# TCGROUP_SETUP=0 installs nothing: the tools are then yours to provide (the
# list below, printed by `scripts/setup-host.sh --list`), and
# RUSTC=, BINDGEN= and LLVM= point the build at them. On a machine without
# apt the same list is printed and setup stops.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

# The kernel's Rust toolchain (rustc-web with its exactly matching source),
# LLVM 19 for LLVM=1 builds and bindgen's libclang, the guest (QEMU,
# busybox), kernel build dependencies and the selftests' static libc; the
# linters (clippy, rustfmt, codespell, shellcheck, docutils for Documentation/*.rst,
# systemd's systemd-analyze and systemd-fstab-generator for boot/);
# dkms (`make dkms`, part of `make check`).
packages=(
	rustc-web rust-web-src
	clang-19 lld-19 llvm-19 libclang-19-dev
	qemu-system-x86 busybox-static
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio kmod
	python3 python3-venv rsync xz-utils perl
	rustfmt-web rust-web-clippy codespell shellcheck
	python3-docutils dkms systemd
)
# RUNNER=vng: virtme-ng's init finds its script's I/O ports (virtio-serial)
# through the names udev gives them, with the host's udevd.
[ "${RUNNER:-qemu}" != vng ] || packages+=(udev)

# What the harness runs, for a machine set up by hand: each tool, the version
# it was tested with, and the variable that points the build at it.
requirements() {
	cat <<EOT
The harness needs these tools (tested versions; Debian 12 packages in brackets):
  rustc, rustdoc 1.96 with its exactly matching rust-src  RUSTC=, RUSTDOC=  [rustc-web rust-web-src]
    (the kernel needs the library sources of that very compiler: a rustup
    toolchain works with \`rustup component add rust-src\`)
  rustfmt, clippy-driver of the same toolchain            RUSTFMT=, CLIPPY_DRIVER=  [rustfmt-web rust-web-clippy]
  bindgen-cli $TC_BINDGEN_VERSION with libclang 19         BINDGEN=  [cargo install --locked --version $TC_BINDGEN_VERSION bindgen-cli; libclang-19-dev]
  clang, ld.lld, llvm-ar, llvm-nm, ... 19                  LLVM=-19 (clang-19), LLVM=1 (clang on PATH) or LLVM=/dir/  [clang-19 lld-19 llvm-19]
  make, gcc and a static libc (the selftests), flex, bison, bc, libelf, libssl headers, perl, cpio, xz, rsync
  qemu-system-x86_64, a static busybox at /bin/busybox     [qemu-system-x86 busybox-static]
  kmod (depmod, modprobe), dkms 3, python3, codespell, shellcheck,
    systemd-analyze and systemd-fstab-generator (systemd 252)
  with RUNNER=vng: virtme-ng $TC_VNG_VERSION (pip, in \$TCGROUP_CACHE/vng-venv), udev (udevd)
With them in place, TCGROUP_SETUP=0 skips this installation step, e.g.
  TCGROUP_SETUP=0 make check RUSTC=/opt/rust/bin/rustc BINDGEN=/opt/bin/bindgen LLVM=/opt/llvm/bin/
EOT
}

# net_fail WHAT URL: after WHAT failed, says whether the network is why: URL
# not reachable (no route, no DNS, no proxy) is reported as such.
net_fail() {
	if command -v python3 >/dev/null &&
		! python3 - "$2" <<'EOPY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=20).close()
EOPY
		requirements >&2
		die "$1 failed: no network access to $2; fix the network or install the tools above by hand and use TCGROUP_SETUP=0"
	fi
	die "$1 failed (above)"
}

if [ "${1:-}" = --list ]; then
	requirements
	exit 0
fi

if [ "${TCGROUP_SETUP:-1}" = 0 ]; then
	info "TCGROUP_SETUP=0: installing nothing"
	for t in "$TC_RUSTC" "$TC_BINDGEN" "$(llvm_tool clang)" "$(llvm_tool ld.lld)" qemu-system-x86_64 depmod; do
		command -v "$t" >/dev/null || { requirements >&2; die "TCGROUP_SETUP=0 but $t is missing"; }
	done
	exit 0
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
	requirements >&2
	die "this machine has no apt: install the tools above and run with TCGROUP_SETUP=0"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { requirements >&2; die "missing packages (${missing[*]}); run as root or install them"; }
	step "apt: installing ${missing[*]}"
	apt-get update -q || net_fail "apt-get update" http://deb.debian.org/debian/
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		net_fail "apt-get install ${missing[*]}" http://deb.debian.org/debian/
else
	info "packages: all ${#packages[@]} present"
fi

if [ ! -x "$TC_BINDGEN" ] || [ "$("$TC_BINDGEN" --version 2>/dev/null)" != "bindgen $TC_BINDGEN_VERSION" ]; then
	step "cargo: installing bindgen-cli $TC_BINDGEN_VERSION (a few minutes)"
	cargo install --locked --version "$TC_BINDGEN_VERSION" bindgen-cli ||
		net_fail "cargo install bindgen-cli" https://index.crates.io/config.json
else
	info "bindgen $TC_BINDGEN_VERSION present"
fi

# virtme-ng for RUNNER=vng, pinned, in a venv of the cache (PyPI).
if [ "${RUNNER:-qemu}" = vng ]; then
	venv=${TCGROUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgroup}/vng-venv
	if [ "$("$venv/bin/vng" --version 2>/dev/null)" != "virtme-ng $TC_VNG_VERSION" ]; then
		step "pip: installing virtme-ng $TC_VNG_VERSION in $venv"
		rm -rf "$venv"
		/usr/bin/python3 -m venv "$venv" || die "python3 -m venv failed (package python3-venv)"
		"$venv/bin/pip" install -q "virtme-ng==$TC_VNG_VERSION" ||
			net_fail "pip install virtme-ng" https://pypi.org/simple/virtme-ng/
	else
		info "virtme-ng $TC_VNG_VERSION present"
	fi
fi
