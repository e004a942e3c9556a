# SPDX-License-Identifier: GPL-2.0
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
TC_RUSTFMT=${RUSTFMT:-/usr/bin/rustfmt}
TC_CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}

# kmake ARGS...: make with the harness toolchain.
kmake() {
	make LLVM="$TC_LLVM" RUSTC="$TC_RUSTC" RUSTDOC="$TC_RUSTDOC" \
		BINDGEN="$TC_BINDGEN" CLIPPY_DRIVER="$TC_CLIPPY_DRIVER" "$@"
}

# toolchain_id: one line per tool version, part of every cache key.
toolchain_id() {
	"$TC_RUSTC" --version
	"$TC_BINDGEN" --version
	"clang$TC_LLVM" --version | head -n1
	"ld.lld$TC_LLVM" --version | head -n1
}
