#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks, before Kbuild runs, that a kernel build tree can build tcgroup.ko
# out of tree, and names everything it lacks:
#
#   check-kdir.sh KDIR
#
# The tree must be configured and built (include/config/auto.conf,
# kernel.release), with CONFIG_RUST=y and CONFIG_MODULES=y, and must carry
# the Rust metadata that `make M=` links the module against (rust/*.rmeta and
# the macros crate, which a kernel's `make` leaves in its build tree but which
# headers packages may lack). The toolchain is the one the Makefile passes to
# the kernel's make (scripts/find-toolchain.sh, or given): RUSTC (default
# rustc) must be the compiler the kernel was built with, BINDGEN (default
# bindgen) must exist (the module runs bindgen on headers of its own), and
# so must the C compiler LLVM selects (clang-NN, clang or DIR/clang; gcc
# without LLVM).

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kdir=${1:?usage: check-kdir.sh KDIR}
problems=()

if [ ! -d "$kdir" ]; then
	if [ "$kdir" = "/lib/modules/$(uname -r)/build" ]; then
		die "no kernel build tree for the running kernel $(uname -r) at $kdir:" \
			"install its headers (Debian: linux-headers-$(uname -r)) or give" \
			"KDIR=/path/to/linux/build; \`make check\` builds and tests against" \
			"the harness's own kernel instead"
	fi
	die "KDIR=$kdir: no such directory (a configured and built kernel tree)"
fi
conf=$kdir/include/config/auto.conf
[ -f "$conf" ] && [ -f "$kdir/include/config/kernel.release" ] ||
	die "KDIR=$kdir is not a configured and built kernel tree (no include/config/auto.conf or kernel.release; run the kernel's make first)"
release=$(cat "$kdir/include/config/kernel.release")

# conf NAME: the value of CONFIG_NAME in the kernel's configuration.
conf() {
	sed -n "s/^CONFIG_$1=//p" "$conf" | sed 's/^"\(.*\)"$/\1/'
}

[ "$(conf RUST)" = y ] ||
	problems+=("the kernel $release has no CONFIG_RUST=y (Rust support; tcgroup is a Rust module)")
[ "$(conf MODULES)" = y ] ||
	problems+=("the kernel $release has no CONFIG_MODULES=y (loadable modules)")

if [ "$(conf RUST)" = y ]; then
	missing=()
	for f in rust/libcore.rmeta rust/libkernel.rmeta rust/libcompiler_builtins.rmeta rust/libmacros.so; do
		[ -e "$kdir/$f" ] || missing+=("$f")
	done
	[ ${#missing[@]} -eq 0 ] ||
		problems+=("KDIR=$kdir lacks the Rust metadata out-of-tree Rust modules link against: ${missing[*]} (a kernel's own build tree has them; a headers package may not)")

	rustc=${RUSTC:-rustc}
	want=$(conf RUSTC_VERSION_TEXT)
	if ! have=$("$rustc" --version 2>/dev/null); then
		problems+=("no Rust compiler '$rustc' (RUSTC=): the kernel was built with '$want'")
	elif [ -n "$want" ] && [ "$have" != "$want" ]; then
		hint=
		for c in /usr/bin/rustc /usr/local/bin/rustc; do
			[ "$c" != "$rustc" ] && [ "$("$c" --version 2>/dev/null)" = "$want" ] &&
				hint=" (RUSTC=$c is that one)" && break
		done
		problems+=("RUSTC=$rustc is '$have', but the kernel was built with '$want': give RUSTC= the kernel's rustc$hint")
	fi
	bindgen=${BINDGEN:-bindgen}
	command -v "$bindgen" >/dev/null ||
		problems+=("no bindgen '$bindgen' (BINDGEN=; the module runs bindgen on headers of its own; cargo install bindgen-cli)")
fi

# The C compiler the kernel's make will call for this LLVM.
case "${LLVM:-}" in
'') cc=gcc ;;
1) cc=clang ;;
*/) cc=${LLVM}clang ;;
-*) cc=clang$LLVM ;;
*) cc=clang ;;
esac
if ! command -v "$cc" >/dev/null; then
	hint=
	major=$(conf CLANG_VERSION | sed -n 's/^\([1-9][0-9]*\)[0-9]\{4\}$/\1/p')
	[ -z "$major" ] || [ ! -x "/usr/lib/llvm-$major/bin/clang" ] ||
		hint="; LLVM=-$major or LLVM=/usr/lib/llvm-$major/bin/ would use LLVM $major"
	problems+=("no C compiler '$cc' (LLVM=${LLVM:-}; the kernel was built with $(conf CC_VERSION_TEXT)$hint)")
fi
if [ "$(conf CC_IS_CLANG)" = y ] && [ -z "${LLVM:-}" ]; then
	problems+=("the kernel $release was built with clang, but LLVM is not set: give LLVM=1, LLVM=-NN or LLVM=/path/to/llvm/bin/")
fi

if [ ${#problems[@]} -gt 0 ]; then
	printf 'error: cannot build tcgroup.ko against KDIR=%s:\n' "$kdir" >&2
	printf '  - %s\n' "${problems[@]}" >&2
	exit 1
fi
