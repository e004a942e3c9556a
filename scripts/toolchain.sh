# SPDX-License-Identifier: GPL-2.0
# The TC_* settings are for the scripts that source this file.
# shellcheck shell=bash disable=SC2034
#
# The toolchain every kernel and module build of the harness uses. Sourced by
# the host scripts; the Makefile passes the same values.
#
# The rustup toolchain on PATH has no rust-src and cannot build a kernel:
# Debian's rustc-web with its exactly matching rust-web-src is used instead.

TC_RUSTC=${RUSTC:-/usr/bin/rustc}
TC_RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
TC_BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
TC_LLVM=${LLVM:--19}
TC_BINDGEN_VERSION=0.73.2
# virtme-ng, for RUNNER=vng (scripts/setup-host.sh installs it).
TC_VNG_VERSION=1.42
TC_RUSTFMT=${RUSTFMT:-/usr/bin/rustfmt}
TC_CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}

# LLVM as the kernel's Makefile reads it: 1 for the unversioned tools on
# PATH, -NN for clang-NN, ld.lld-NN, ..., or a directory ending in `/`. With
# LLVM=1 and no clang on PATH, LLVM 19's own directory (where Debian keeps
# the unversioned names) goes first on PATH.
case "$TC_LLVM" in
1)
	tc_llvm_prefix='' tc_llvm_suffix=''
	if ! command -v clang >/dev/null && [ -x /usr/lib/llvm-19/bin/clang ]; then
		PATH=/usr/lib/llvm-19/bin:$PATH
		export PATH
	fi
	;;
*/) tc_llvm_prefix=$TC_LLVM tc_llvm_suffix='' ;;
-*) tc_llvm_prefix='' tc_llvm_suffix=$TC_LLVM ;;
*)
	echo "error: LLVM=$TC_LLVM: use LLVM=1, LLVM=-NN (e.g. -19) or LLVM=/path/to/llvm/bin/" >&2
	exit 1
	;;
esac

# llvm_tool NAME: the LLVM tool NAME (clang, ld.lld, ...) the build uses.
llvm_tool() {
	echo "$tc_llvm_prefix$1$tc_llvm_suffix"
}

# llvm_path: PATH with the build's LLVM first under its unversioned names
# (Debian's /usr/lib/llvm-NN/bin), for tools that call plain `clang`, as dkms
# does for a kernel built with clang.
llvm_path() {
	case "$TC_LLVM" in
	-*) echo "/usr/lib/llvm$TC_LLVM/bin:$PATH" ;;
	*/) echo "${TC_LLVM%/}:$PATH" ;;
	*) echo "$PATH" ;;
	esac
}

# kmake ARGS...: make with the harness toolchain.
kmake() {
	make LLVM="$TC_LLVM" RUSTC="$TC_RUSTC" RUSTDOC="$TC_RUSTDOC" \
		BINDGEN="$TC_BINDGEN" CLIPPY_DRIVER="$TC_CLIPPY_DRIVER" "$@"
}

# toolchain_id: one line per tool version, part of every cache key.
toolchain_id() {
	"$TC_RUSTC" --version
	"$TC_BINDGEN" --version
	"$(llvm_tool clang)" --version | head -n1
	"$(llvm_tool ld.lld)" --version | head -n1
}
