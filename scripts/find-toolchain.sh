#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Finds the toolchain a kernel build tree was built with, so that the module
# builds without any environment: from a kernel package's post-install hook
# (`dkms autoinstall` with PATH=/usr/sbin:/usr/bin:/sbin:/bin, perhaps no
# HOME) as well as from a shell.
#
#   find-toolchain.sh KDIR
#	prints LLVM=... RUSTC=... RUSTDOC=... BINDGEN=... LLVMBIN=..., each only
#	when found, one per line (the Makefile reads them)
#   find-toolchain.sh --record FILE
#	writes the RUSTC and BINDGEN this environment has (RUSTC=, BINDGEN=,
#	else PATH) to FILE, as absolute paths (`make dkms-add` records them in
#	the package's toolchain.conf)
#
# A value given in the environment (LLVM, RUSTC, RUSTDOC, BINDGEN) is kept
# as it is: scripts/check-kdir.sh then says whether it fits. Otherwise each
# tool is looked for in this order, and the first whose version is the one
# the kernel's configuration names (CONFIG_RUSTC_VERSION_TEXT,
# CONFIG_BINDGEN_VERSION_TEXT) is taken: the package's toolchain.conf
# (recorded at `dkms add` time), PATH, /usr/bin, /usr/local/bin, then
# ~/.cargo/bin and the toolchains of ~/.rustup for HOME and root (rustup's
# proxies need HOME; its toolchains' own binaries do not). With no match, the
# first candidate found is printed, and check-kdir.sh names the mismatch.
# LLVM follows the kernel's CONFIG_CLANG_VERSION: Debian's
# /usr/lib/llvm-NN/bin/ when it has clang (LLVMBIN, which goes first on PATH,
# as dkms adds CC=clang LD=ld.lld for a clang-built kernel), else -NN when
# clang-NN is on PATH, else 1; nothing for a GCC-built kernel.

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

# abs NAME: the absolute path of the command NAME, or nothing.
abs() {
	local p
	p=$(command -v "$1" 2>/dev/null) || return 1
	case "$p" in
	/*) echo "$p" ;;
	*) return 1 ;;
	esac
}

if [ "${1:-}" = --record ]; then
	file=${2:?usage: find-toolchain.sh --record FILE}
	{
		echo "# The toolchain of \`make dkms-add\` ($(date -u +%F)); scripts/find-toolchain.sh"
		echo "# tries these first and takes them only if the kernel was built with them."
		for v in RUSTC BINDGEN; do
			name=$(echo "$v" | tr '[:upper:]' '[:lower:]')
			p=$(abs "${!v:-$name}") && echo "$v=$p"
		done
	} >"$file"
	exit 0
fi

kdir=${1:?usage: find-toolchain.sh KDIR | --record FILE}
conf=$kdir/include/config/auto.conf
[ -f "$conf" ] || exit 0

# conf NAME: the value of CONFIG_NAME in the kernel's configuration.
conf() {
	sed -n "s/^CONFIG_$1=//p" "$conf" | sed 's/^"\(.*\)"$/\1/'
}

# recorded NAME: the value toolchain.conf records for NAME.
recorded() {
	[ -f "$top/toolchain.conf" ] && sed -n "s/^$1=//p" "$top/toolchain.conf" | head -n 1
}

# candidates NAME VAR: every place the tool NAME may be, best first.
candidates() {
	local h
	recorded "$2"
	abs "$1"
	echo "/usr/bin/$1"
	echo "/usr/local/bin/$1"
	for h in ${HOME:+"$HOME"} /root; do
		echo "$h/.cargo/bin/$1"
		ls -d "$h"/.rustup/toolchains/*/bin/"$1" 2>/dev/null
	done
}

# pick NAME VAR WANT: the first candidate for NAME whose `--version` is WANT
# (any, when WANT is empty), else the first that runs.
pick() {
	local c first=
	while read -r c; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		v=$("$c" --version 2>/dev/null | head -n 1) || continue
		[ -n "$first" ] || first=$c
		if [ -z "$3" ] || [ "$v" = "$3" ]; then
			echo "$c"
			return 0
		fi
	done < <(candidates "$1" "$2")
	[ -z "$first" ] || echo "$first"
}

if [ -n "${LLVM+set}" ]; then
	echo "LLVM=$LLVM"
elif [ "$(conf CC_IS_CLANG)" = y ]; then
	major=$(conf CLANG_VERSION | sed -n 's/^\([1-9][0-9]*\)[0-9]\{4\}$/\1/p')
	if [ -n "$major" ] && [ -x "/usr/lib/llvm-$major/bin/clang" ]; then
		echo "LLVM=/usr/lib/llvm-$major/bin/"
		echo "LLVMBIN=/usr/lib/llvm-$major/bin"
	elif [ -n "$major" ] && abs "clang-$major" >/dev/null; then
		echo "LLVM=-$major"
	else
		echo "LLVM=1"
	fi
fi

[ "$(conf RUST)" = y ] || exit 0

if [ -n "${RUSTC:-}" ]; then
	rustc=$RUSTC
else
	rustc=$(pick rustc RUSTC "$(conf RUSTC_VERSION_TEXT)")
fi
[ -z "$rustc" ] || echo "RUSTC=$rustc"
if [ -n "${RUSTDOC:-}" ]; then
	echo "RUSTDOC=$RUSTDOC"
elif [ -x "$(dirname "$rustc")/rustdoc" ]; then
	echo "RUSTDOC=$(dirname "$rustc")/rustdoc"
fi
if [ -n "${BINDGEN:-}" ]; then
	echo "BINDGEN=$BINDGEN"
else
	bindgen=$(pick bindgen BINDGEN "$(conf BINDGEN_VERSION_TEXT)")
	[ -z "$bindgen" ] || echo "BINDGEN=$bindgen"
fi
