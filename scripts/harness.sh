#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcgroup harness: each subcommand does what it needs that is missing,
# reusing every cached step, then its own job. Called by the Makefile:
#
#   harness.sh setup|kernel|module|selftests|initramfs|check|run|shell|paths|bench
#   harness.sh modules_install|dkms
#   harness.sh clippy|rustdoc|rustfmt|rustfmtcheck|rust-analyzer|checkpatch|shellcheck|rstcheck|bootlint|lint
#   harness.sh tool|toollint   (the tools/tcgroup command: static build; fmt, clippy, tests)
#
# Environment: KVER (7.3|6.12), FLAVOUR (test|debug), TCGROUP_CACHE,
# QEMU_ACCEL (kvm|tcg; unset: probed), QEMU_TIMEOUT, RUNNER (qemu|vng: how `check` boots); KDIR (and KIMAGE) for a kernel of your own
# instead of the cached one; INSTALL_MOD_PATH for modules_install.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

KVER=${KVER:-7.3}
FLAVOUR=${FLAVOUR:-test}
TCGROUP_CACHE=${TCGROUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgroup}
QEMU_ACCEL=${QEMU_ACCEL:-}
# The guest's bound: the debug kernel (KASAN, lockdep, kmemleak) runs the
# suite about 4 times slower than the test kernel.
if [ "$FLAVOUR" = debug ]; then
	QEMU_TIMEOUT=${QEMU_TIMEOUT:-2700}
else
	QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800}
fi

# With KDIR, a kernel build of your own replaces the cached one: it is
# checked (scripts/check-kconfig.sh), never built; its source tree (KDIR/source
# of an O= build, else KDIR) provides the selftests' kselftest framework.
own_kdir=
if [ -n "${KDIR:-}" ]; then
	[ -d "$KDIR" ] || die "KDIR=$KDIR is not a directory"
	own_kdir=$(cd "$KDIR" && pwd)
	[ -f "$own_kdir/include/config/kernel.release" ] ||
		die "KDIR=$KDIR is not a configured and built kernel tree (no include/config/kernel.release)"
	ksrc=$(cd "$own_kdir/source" 2>/dev/null && pwd -P || echo "$own_kdir")
	build=$top/build/kdir-$(cat "$own_kdir/include/config/kernel.release")
	kimage=${KIMAGE:-$own_kdir/arch/x86/boot/bzImage}
else
	ksrc=$TCGROUP_CACHE/src/$KVER/linux-source-$KVER
	build=$top/build/$KVER-$FLAVOUR
	kimage=
fi

setup_done=
do_setup() {
	[ -n "$setup_done" ] && return 0
	"$here/setup-host.sh"
	[ -n "$own_kdir" ] || "$here/fetch-kernel-source.sh" "$KVER" "$TCGROUP_CACHE/src/$KVER"
	setup_done=1
}

kdir() {
	if [ -n "$own_kdir" ]; then
		echo "$own_kdir"
	else
		"$here/build-kernel.sh" --print-dir "$KVER" "$FLAVOUR" "$TCGROUP_CACHE"
	fi
}

# The kernel image the guest boots.
kimage() {
	echo "${kimage:-$(kdir)/arch/x86/boot/bzImage}"
}

# The release of the kernel (the guest's `uname -r`).
krelease() {
	cat "$(kdir)/include/config/kernel.release"
}

# RUNNER=vng: the kernel must also have what virtme-ng needs.
vng_config=
[ "${RUNNER:-qemu}" != vng ] || vng_config=$here/guest/vng.config

kernel_done=
do_kernel() {
	[ -n "$kernel_done" ] && return 0
	kernel_done=1
	do_setup
	if [ -n "$own_kdir" ]; then
		step "checking your kernel $own_kdir ($(krelease))"
		"$here/check-kconfig.sh" "$own_kdir" $vng_config || die "the kernel lacks what the suite needs (above)"
		[ -f "$(kimage)" ] || die "no kernel image $(kimage) (build it, or set KIMAGE=)"
		info "image $(kimage)"
		return 0
	fi
	"$here/build-kernel.sh" "$KVER" "$FLAVOUR" "$TCGROUP_CACHE"
	# The harness kernel meets what a kernel of your own is checked for.
	"$here/check-kconfig.sh" "$(kdir)" "$here/guest/vng.config" >/dev/null ||
		"$here/check-kconfig.sh" "$(kdir)" "$here/guest/vng.config"
}

module_done=
do_module() {
	[ -n "$module_done" ] && [ $# -eq 0 ] && return 0
	do_kernel
	"$here/build-module.sh" "$(kdir)" "$build/module" "$@"
	[ $# -gt 0 ] || module_done=1
}

# The selftests are built the way a kernel developer would: the target is
# linked into the kernel source's tools/testing/selftests and installed with
# the kernel's own selftests Makefile (run_kselftest.sh, runner, ktap
# helpers). Static, since the guest has no libc.
do_selftests() {
	do_setup
	step "building the kselftests (TARGETS=tcgroup, static)"
	# Copied, not linked, into the kernel tree: the target is built exactly as
	# a user who copies it there builds it (lib.mk is found as ../lib.mk).
	# The kernel tree is shared by every checkout using the cache: one copy
	# and build at a time (the objects go to this checkout's build directory).
	mkdir -p "$TCGROUP_CACHE"
	if [ "$ksrc" != "$(cd "$TCGROUP_CACHE/src/$KVER/linux-source-$KVER" 2>/dev/null && pwd -P)" ]; then
		exec 9>"$TCGROUP_CACHE/selftests-$(echo "$ksrc" | sha256sum | cut -c1-16).lock"
	else
		exec 9>"$TCGROUP_CACHE/selftests-$KVER.lock"
	fi
	flock 9
	if [ -L "$ksrc/tools/testing/selftests/tcgroup" ]; then
		rm -f "$ksrc/tools/testing/selftests/tcgroup" # a symlink of older harnesses
	fi
	rsync -a --delete "$top/tools/testing/selftests/tcgroup/" "$ksrc/tools/testing/selftests/tcgroup/"
	rm -rf "$build/kselftest"
	mkdir -p "$build/kselftest-obj"
	env -u LLVM make -s -C "$ksrc/tools/testing/selftests" TARGETS=tcgroup \
		O="$build/kselftest-obj" LDFLAGS=-static \
		KSFT_INSTALL_PATH="$build/kselftest" install >"$build/kselftest-build.log" 2>&1 ||
		{ cat "$build/kselftest-build.log"; die "selftests build failed"; }
	exec 9>&-
	info "installed in $build/kselftest: $(tr '\n' ' ' <"$build/kselftest/kselftest-list.txt")"
}

# `make modules_install` (`make install`) on the harness kernel: the kernel's
# modules_install of the module into INSTALL_MOD_PATH (default
# build/<kver>-<flavour>/modroot: the harness kernel is the guest's, not the
# host's), then depmod there; checks with the host's modprobe that the
# installed tree resolves the `fs-tcgroup` alias to the module.
boot_root=
do_modules_install() {
	local root krel out
	do_module
	root=${INSTALL_MOD_PATH:-$build/modroot}
	krel=$(krelease)
	step "modules_install into $root/lib/modules/$krel, then depmod"
	mkdir -p "$root"
	root=$(cd "$root" && pwd)
	rm -rf "$root/lib/modules/$krel/updates/rust"
	# What the kernel's own modules_install puts there, for depmod.
	mkdir -p "$root/lib/modules/$krel"
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$(kdir)/$f" ]; then
			cp "$(kdir)/$f" "$root/lib/modules/$krel/"
		else
			: >"$root/lib/modules/$krel/$f"
		fi
	done
	kmake -s -C "$(kdir)" M="$build/module/src" INSTALL_MOD_PATH="$root" modules_install
	depmod -a -b "$root" "$krel"
	out=$(modprobe -d "$root" -S "$krel" --show-depends fs-tcgroup 2>&1) ||
		die "modprobe cannot resolve fs-tcgroup in $root: $out"
	case "$out" in
	"insmod $root/lib/modules/$krel/updates/rust/tcgroup.ko"*) ;;
	*) die "fs-tcgroup resolves to '$out', not the installed tcgroup.ko" ;;
	esac
	info "installed: $out (modprobe fs-tcgroup)"
	# The boot-time files as `make install` installs them (PREFIX=/usr, where
	# the guest has the tcgroup command and its agent link), and the README's
	# /etc/fstab line (boot/fstab) for that prefix: the guest gets them
	# (tcgroup_boot.sh).
	make -s -C "$top" install-boot DESTDIR="$root" PREFIX=/usr
	mkdir -p "$root/etc"
	sed 's|/usr/local/sbin/|/usr/sbin/|' "$top/boot/fstab" >"$root/etc/fstab"
	boot_root=$root
	info "boot files: $(cd "$root" && find etc usr -type f | sort | tr '\n' ' ')"
}

# `make dkms` (part of `make check`): the DKMS package (dkms.conf) as a
# kernel package's hook meets it, with Debian's dkms, in trees of its own
# under build/<kver>-<flavour>/dkms (the host's /var/lib/dkms and
# /lib/modules are not touched):
# - the sources as `make dkms-add` copies them (scripts/dkms-source.sh: the
#   tracked files of the package's paths only, checked here), with the
#   toolchain.conf it records;
# - every dkms command under `env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin`,
#   what /etc/kernel/postinst.d/dkms has (no HOME, no LLVM, RUSTC, BINDGEN):
#   the Makefile finds the toolchain itself (scripts/find-toolchain.sh);
# - a kernel whose build tree lacks the Rust metadata (as a linux-headers
#   package: the harness kernel's configuration, no rust/*.rmeta) must be
#   skipped by its BUILD_EXCLUSIVE directive, without running make;
# - then the hook's `dkms autoinstall` for the harness kernel builds and
#   installs the module. That install tree is the guest's /lib/modules: the
#   guest runs depmod over it and every test loads the DKMS-built module with
#   modprobe.
do_dkms() {
	local d ver krel src extra rc dkms_ver
	do_kernel
	command -v dkms >/dev/null || die "no dkms (package dkms; scripts/setup-host.sh installs it)"
	d=$build/dkms
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
	krel=$(krelease)
	src=$d/src/tcgroup-$ver
	rm -rf "$d"
	mkdir -p "$d/tree" "$d/src" "$d/install/$krel" "$d/install/$krel-headers" \
		"$d/headers/include/config"
	step "dkms: add, a headers-only kernel skipped, autoinstall for $krel, as a kernel hook ($d)"
	"$here/dkms-source.sh" "$src" 2>/dev/null
	RUSTC=$TC_RUSTC BINDGEN=$TC_BINDGEN "$here/find-toolchain.sh" --record "$src/toolchain.conf"
	extra=$(cd "$src" && find . -type f ! -path ./toolchain.conf | sed 's|^\./||' | sort |
		comm -23 - <(git -C "$top" ls-files | sort))
	[ -z "$extra" ] || die "the DKMS package holds files git does not track: $extra"
	# What a kernel package's post-install hook gives dkms.
	hook() {
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			dkms "$@" --dkmstree "$d/tree" --sourcetree "$d/src" --installtree "$d/install"
	}
	hook add -m tcgroup -v "$ver" >"$d/dkms.log" 2>&1 || { cat "$d/dkms.log"; die "dkms add failed"; }
	# A headers-only tree: the kernel's configuration, no Rust metadata.
	# dkms 3.0.10 (Debian 12) reports a module its BUILD_EXCLUSIVE skips as
	# an autoinstall failure (exit 11; dkms issue #302, fixed in 3.0.11);
	# what counts here is that the directive skipped it before any make.
	cp "$(kdir)/.config" "$d/headers/.config"
	cp "$(kdir)/include/config/auto.conf" "$d/headers/include/config/auto.conf"
	echo "$krel-headers" >"$d/headers/include/config/kernel.release"
	rc=0
	hook autoinstall -k "$krel-headers" --kernelsourcedir "$d/headers" --no-depmod \
		>"$d/headers.log" 2>&1 || rc=$?
	dkms_ver=$(dkms --version | sed -n 's/^dkms[: -]*\([0-9.]*\).*/\1/p')
	grep -q 'BUILD_EXCLUSIVE directive which does not match' "$d/headers.log" &&
		[ ! -e "$d/tree/tcgroup/$ver/build/make.log" ] &&
		[ ! -e "$d/install/$krel-headers/updates" ] &&
		{ [ $rc -eq 0 ] || { [ $rc -eq 11 ] && [ "$dkms_ver" = 3.0.10 ]; }; } || {
		cat "$d/headers.log"
		die "dkms autoinstall for a kernel without Rust metadata: not skipped by BUILD_EXCLUSIVE (exit $rc)"
	}
	info "dkms $dkms_ver: $krel-headers (no rust/*.rmeta) skipped by BUILD_EXCLUSIVE (exit $rc)"
	hook autoinstall -k "$krel" --kernelsourcedir "$(kdir)" --no-depmod >>"$d/dkms.log" 2>&1 || {
		cat "$d/dkms.log"
		find "$d/tree" -name make.log -exec cat {} + 2>/dev/null
		die "dkms autoinstall failed (above)"
	}
	[ -f "$d/install/$krel/updates/dkms/tcgroup.ko" ] ||
		die "dkms autoinstall left no $d/install/$krel/updates/dkms/tcgroup.ko (see $d/dkms.log)"
	rm -rf "$d/install/$krel-headers"
	info "dkms: $(hook status -m tcgroup -k "$krel" 2>/dev/null | tr '\n' ' ')"
}

do_initramfs() {
	do_module
	do_modules_install
	do_dkms
	do_selftests
	do_tool
	"$here/make-initramfs.sh" "$(kdir)" "$build/module/src/rust/tcgroup.ko" \
		"$build/kselftest" "$build/initramfs.cpio.gz" "$build/dkms/install/$(krelease)" \
		"$tool_bin" "$boot_root"
}

# The userspace command tools/tcgroup, a cargo crate of its own: built with
# the rustup toolchain on PATH (cargo; not the kernel's RUSTC, which the
# environment may name), its dependencies locked by its Cargo.lock. Its
# builds are cached in build/tool/ (shared by every kernel line: the tool
# does not depend on the kernel): host/ for the tests and Clippy, static/
# for the guest's statically linked copy.
tool_dir=$top/tools/tcgroup
tool_target=$top/build/tool
tool_bin=$tool_target/static/x86_64-unknown-linux-gnu/release/tcgroup

# cargo ARGS...: cargo in tools/tcgroup with the rustup toolchain.
tool_cargo() {
	(cd "$tool_dir" && env -u RUSTC -u RUSTDOC -u RUSTFMT -u CLIPPY_DRIVER \
		RUSTFLAGS="${tool_rustflags:-}" cargo "$@")
}

tool_done=
tool_rustflags=
do_tool() {
	[ -n "$tool_done" ] && return 0
	command -v cargo >/dev/null || die "no cargo on PATH (rustup's toolchain builds tools/tcgroup)"
	step "building tools/tcgroup (static)"
	tool_rustflags='-C target-feature=+crt-static' tool_cargo build --release --locked --quiet \
		--target x86_64-unknown-linux-gnu --target-dir "$tool_target/static" ||
		die "tools/tcgroup: build failed"
	info "tool: $tool_bin"
	tool_done=1
}

# The tool's unit tests, Clippy (warnings are errors) and rustfmt.
do_toollint() {
	command -v cargo >/dev/null || die "no cargo on PATH (rustup's toolchain builds tools/tcgroup)"
	step "tools/tcgroup: cargo fmt --check, clippy, test"
	tool_cargo fmt --check || die "tools/tcgroup: cargo fmt --check found unformatted code (run cargo fmt there)"
	tool_cargo clippy --locked --quiet --all-targets --target-dir "$tool_target/host" -- -D warnings ||
		die "tools/tcgroup: clippy found problems (above)"
	mkdir -p "$tool_target"
	tool_cargo test --locked --target-dir "$tool_target/host" >"$tool_target/test.log" 2>&1 ||
		{ cat "$tool_target/test.log"; die "tools/tcgroup: cargo test failed"; }
	info "tool: $(grep -h '^test result' "$tool_target/test.log" | tr '\n' ' ')"
}

# Chooses QEMU's accelerator once, before the first boot: QEMU_ACCEL when
# given, else KVM when it works, else TCG, saying which and why. KVM works
# when the CPU has hardware virtualisation (vmx or svm: a host with /dev/kvm
# but without them, as nested set-ups without nested virtualisation, gets no
# usable KVM), /dev/kvm opens for reading and writing, and QEMU starts a
# stopped PC machine with `-accel kvm` and quits on the monitor's command
# within 30 s.
accel_done=
choose_accel() {
	local why
	[ -z "$accel_done" ] || return 0
	accel_done=1
	if [ -n "$QEMU_ACCEL" ]; then
		info "QEMU accelerator: $QEMU_ACCEL (QEMU_ACCEL)"
		return 0
	fi
	if ! grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
		why="the CPU shows no vmx or svm flag (no hardware virtualisation, or not passed to this VM)"
	elif [ ! -e /dev/kvm ]; then
		why="no /dev/kvm (module kvm_intel or kvm_amd not loaded?)"
	elif ! { : <>/dev/kvm; } 2>/dev/null; then
		why="/dev/kvm cannot be opened read-write by $(id -un) (group kvm?)"
	elif ! echo quit | timeout 30 qemu-system-x86_64 -accel kvm -machine pc -smp 1 -m 64 -S \
		-nodefaults -display none -monitor stdio >/dev/null 2>&1; then
		why="qemu-system-x86_64 -accel kvm does not start"
	else
		QEMU_ACCEL=kvm
		info "QEMU accelerator: kvm (vmx/svm, /dev/kvm and qemu -accel kvm work; QEMU_ACCEL=tcg forces TCG)"
		return 0
	fi
	QEMU_ACCEL=tcg
	info "QEMU accelerator: tcg, as KVM does not work here: $why"
}

qemu_memory() {
	# The kernel caps the number of tasks at RAM / (8 * THREAD_SIZE)
	# (threads-max; the guest has no /proc/sys to raise it): 2G gives
	# about 15 600 with 16K stacks, room for tcgroup_tasks_test's 10 000
	# threads; the debug kernel's KASAN doubles the stacks and needs its
	# shadow and kmemleak's pool, hence 4G.
	[ "$FLAVOUR" = debug ] && echo 4G || echo 2G
}

# How long tcgroup_storm_test runs: a minute on the debug kernel, where the
# splat checks are, 10 s otherwise; TCGROUP_STORM_SECONDS overrides.
storm_seconds() {
	[ "$FLAVOUR" = debug ] && echo "${TCGROUP_STORM_SECONDS:-60}" ||
		echo "${TCGROUP_STORM_SECONDS:-10}"
}

# Whether the guest must find the module's KUnit suites (tcgroup_kunit.sh):
# on a kernel with CONFIG_KUNIT=y and `#[kunit_tests]`, probed as rust/Kbuild
# probes it (tcgroup_kunit_tests). Elsewhere the test skips with the reason.
kunit_expected() {
	[ -e "$ksrc/rust/macros/kunit.rs" ] && grep -qx 'CONFIG_KUNIT=y' "$(kdir)/.config"
}

# The virtme-ng runner (RUNNER=vng): vng from the venv scripts/setup-host.sh
# installs, the guest command scripts/guest/vng-check.sh.
boot_vng() {
	local vng=$TCGROUP_CACHE/vng-venv/bin/vng kunit=
	choose_accel
	[ -x "$vng" ] || die "no $vng (scripts/setup-host.sh installs it with RUNNER=vng)"
	kunit_expected && kunit=" TCGROUP_KUNIT=required"
	"$here/qemu-run.py" --runner vng --vng "$vng" --kernel "$(kimage)" \
		--initrd /dev/null --mode check --outdir "$build/check-vng" \
		--accel "$QEMU_ACCEL" --timeout "$QEMU_TIMEOUT" --memory "$(qemu_memory)" \
		--vng-exec "env TCGROUP_STORM_SECONDS=$(storm_seconds)$kunit TCGROUP_TESTS=${TCGROUP_TESTS:-} sh $here/guest/vng-check.sh $build/check-vng $build/kselftest $build/dkms/install/$(krelease) $(kdir)"
}

boot() {
	local mode=$1 kunit=
	if [ "${RUNNER:-qemu}" = vng ] && [ "$mode" = check ]; then
		boot_vng
		return
	fi
	choose_accel
	kunit_expected && kunit=" TCGROUP_KUNIT=required"
	# Unknown name=value parameters of the kernel command line end up in
	# init's environment, and so in the tests'.
	"$here/qemu-run.py" --kernel "$(kimage)" \
		--initrd "$build/initramfs.cpio.gz" --mode "$mode" --outdir "$build/$mode" \
		--accel "$QEMU_ACCEL" --timeout "$QEMU_TIMEOUT" --memory "$(qemu_memory)" \
		--append "TCGROUP_STORM_SECONDS=$(storm_seconds)$kunit${TCGROUP_TESTS:+ TCGROUP_TESTS=$TCGROUP_TESTS}${TCGROUP_FUZZ_SEED:+ TCGROUP_FUZZ_SEED=$TCGROUP_FUZZ_SEED}"
}

do_check() {
	do_initramfs
	do_lint
	boot check
}

# The benchmarks (`make bench`, never part of `make check`): the guest
# programs of bench/ (static), the limit module bench/umh/ built against the
# same kernel as tcgroup.ko, an initramfs of the check one plus /bench, one
# boot, then bench/report.py writes bench/results/<date>-<kernel>.{json,md,png}.
# BENCH_NS, BENCH_REPS, BENCH_REPEAT, BENCH_FORK, BENCH_ROUNDS, BENCH_ATTACH,
# BENCH_MEMORY, BENCH_PROFILE, BENCH_DEPTHS, BENCH_IDLE, BENCH_IDLE_REPS, BENCH_PIN,
# BENCH_KILL, BENCH_KILL_REPS, BENCH_LISTING, BENCH_LOOKUP, BENCH_READS and
# BENCH_STREAM, BENCH_STREAM_PROFILE and BENCH_BURST override bench/guest/bench.sh's settings. BENCH_TAG names the report files
# between the date and the kernel (<date>-<tag>-<kernel>), so that a second
# run of the day keeps the first's report. The host's load average before
# and after the boot, the boot's duration and the module's commit go to the
# report as its conditions. The guest has BENCH_CPUS vCPUs, 2 by default, as
# the checks: BENCH_CPUS=1 gives steadier loops under TCG, where two vCPUs
# share the host's two cores with QEMU's own thread (see
# Documentation/testing.rst). The boot's timeout is QEMU_TIMEOUT, but at least
# an hour: the default run takes 4 to 15 minutes, more on a loaded host.
do_bench() {
	local out=$build/bench gen k v val append='' commit load0 load1 t0 t1 timeout=$QEMU_TIMEOUT
	do_initramfs
	if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
		[ "$(id -u)" = 0 ] || die "missing python3-matplotlib; run as root or install it"
		step "apt: installing python3-matplotlib (the report's plots)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-matplotlib
	fi
	step "building the benchmarks (static) and the limit module"
	mkdir -p "$out/bin" "$out/umh"
	for p in tcgroup_bench tcgroup_bench_agent; do
		gcc -O2 -Wall -Wextra -Wno-unused-parameter -Werror -static -pthread \
			-o "$out/bin/$p" "$top/bench/$p.c" || die "building bench/$p.c failed"
	done
	k=$(kdir)
	rsync -a "$top/bench/umh/" "$out/umh/"
	kmake -C "$k" M="$out/umh" modules >"$out/umh-build.log" 2>&1 ||
		{ cat "$out/umh-build.log"; die "building bench/umh failed"; }
	gen=$k/usr/gen_init_cpio
	{
		echo "dir /bench 0755 0 0"
		echo "file /bench/tcgroup-bench $out/bin/tcgroup_bench 0755 0 0"
		echo "file /bench/agent $out/bin/tcgroup_bench_agent 0755 0 0"
		for a in tcgroup cgroup umh; do
			echo "slink /bench/agent-$a agent 0777 0 0"
		done
		echo "file /bench/tcgroup_umh_bench.ko $out/umh/tcgroup_umh_bench.ko 0644 0 0"
		echo "file /bench/bench.sh $top/bench/guest/bench.sh 0755 0 0"
	} >"$out/initramfs.list"
	# A second archive after the check one: the kernel unpacks both.
	cp "$build/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
	"$gen" "$out/initramfs.list" | gzip -1 >>"$out/initramfs.cpio.gz"
	for v in NS REPS REPEAT FORK ROUNDS ATTACH MEMORY PROFILE DEPTHS IDLE IDLE_REPS PIN KILL KILL_REPS \
		LISTING LOOKUP READS STREAM STREAM_PROFILE BURST; do
		eval "val=\${BENCH_$v:-}"
		if [ -n "$val" ]; then
			append="$append TCGROUP_BENCH_$v=$val"
		fi
	done
	# The module's commit; "-dirty" if tracked files of the module or the
	# benchmarks differ from it (the results of earlier runs do not count).
	if commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null); then
		[ -z "$(git -C "$top" status --porcelain --untracked-files=no -- rust Kbuild bench)" ] ||
			commit="$commit-dirty"
	else
		commit=
	fi
	case ${BENCH_CPUS:-2} in
	'' | *[!0-9]* | 0) die "BENCH_CPUS=$BENCH_CPUS: a number of vCPUs, 1 or more" ;;
	esac
	choose_accel
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	[ "$timeout" -ge 3600 ] || timeout=3600
	t0=$(date +%s)
	"$here/qemu-run.py" --kernel "$k/arch/x86/boot/bzImage" \
		--initrd "$out/initramfs.cpio.gz" --mode bench --outdir "$out/run" \
		--accel "$QEMU_ACCEL" --timeout "$timeout" --memory "$(qemu_memory)" \
		--cpus "${BENCH_CPUS:-2}" --append "${append# }"
	t1=$(date +%s)
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	/usr/bin/python3 "$top/bench/report.py" --log "$out/run/bench.log" --kdir "$k" \
		--accel "$QEMU_ACCEL" --outdir "$top/bench/results" --commit "$commit" \
		--load-before "$load0" --load-after "$load1" --boot-seconds $((t1 - t0)) \
		--settings "${append# }" --tag "${BENCH_TAG:-}"
}

do_paths() {
	local k
	k=$(kdir)
	[ -n "$own_kdir" ] || [ -f "$k/.tcgroup-built" ] || die "no $FLAVOUR kernel $KVER built yet: run 'make kernel'"
	echo "KIMAGE=$(kimage)"
	echo "KDIR=$k"
	echo "MODULE=$build/module/src/rust/tcgroup.ko"
}

do_clippy() {
	do_kernel
	"$here/build-module.sh" "$(kdir)" "$build/clippy" CLIPPY=1
}

do_rustfmt() {
	do_setup
	"$here/rustfmt.sh" "$ksrc" "$@"
}

do_checkpatch() {
	do_setup
	step "checkpatch.pl on the module, scripts, selftests and benchmarks"
	# Tracked and new (not ignored) files: what the next commit would hold.
	(cd "$top" && git ls-files --cached --others --exclude-standard -- 'rust/*.rs' 'rust/*.[ch]' 'rust/Kbuild' 'Kbuild' \
		'tools/testing/selftests/tcgroup/*.c' 'tools/testing/selftests/tcgroup/*.h' \
		'tools/testing/selftests/tcgroup/*.sh' \
		'bench/*.c' 'bench/umh/*.c' 'bench/umh/Kbuild' 'bench/guest/*.sh' | grep -v bindings_generated |
		xargs -r "$ksrc/scripts/checkpatch.pl" --no-tree --file --terse --strict \
			--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG) ||
		die "checkpatch found problems (above)"
	# Spelling over everything written by hand. `iput` (a VFS function) and `crate` (Rust) are not typos.
	command -v codespell >/dev/null || die "no codespell (package codespell; scripts/setup-host.sh installs it)"
	(cd "$top" && git ls-files --cached --others --exclude-standard -- \
		':!*bindings_generated.rs' ':!.gitignore' | xargs -r codespell -L iput,crate) ||
		die "codespell found typos (above)"
	info "checkpatch: clean"
}

# Every shell script of the tree (tracked or new, not ignored) through shellcheck:
# the *.sh files and those with a sh or bash #! line. Sourced files are
# followed (-x), found beside their script (-P SCRIPTDIR) or by the path a
# `# shellcheck source=` directive gives. Errors and warnings fail; the
# style notes (quoting of values that are numbers or lists split on purpose,
# `a && b || c` chains) are not enforced.
do_shellcheck() {
	local f files=()
	do_setup
	step "shellcheck on every shell script"
	command -v shellcheck >/dev/null || die "no shellcheck (package shellcheck; scripts/setup-host.sh installs it)"
	while IFS= read -r f; do
		case "$f" in
		*.sh) files+=("$f") ;;
		*)
			if [ -f "$top/$f" ] && head -n 1 "$top/$f" | grep -qE '^#! ?(/usr)?/bin/(env )?(ba|da)?sh( |$)'; then
				files+=("$f")
			fi
			;;
		esac
	done < <(git -C "$top" ls-files --cached --others --exclude-standard)
	(cd "$top" && shellcheck -x -P SCRIPTDIR -S warning "${files[@]}") ||
		die "shellcheck found problems (above)"
	info "shellcheck: ${#files[@]} scripts clean"
}

# Every Documentation/*.rst through docutils, warnings as errors.
do_rstcheck() {
	do_setup
	step "docutils on Documentation/*.rst"
	/usr/bin/python3 "$here/rstcheck.py" "$top"/Documentation/*.rst ||
		die "reST problems in Documentation (above)"
	info "Documentation: clean"
}

# rustdoc on the module as the kernel's `make rustdoc` runs it on its crates
# (scripts/rustdoc.sh): broken intra-doc links, as every rustdoc warning,
# fail. Output in build/<kver>-<flavour>/rustdoc.
do_rustdoc() {
	do_module
	"$here/rustdoc.sh" "$build/module/src" "$build/rustdoc" "$(kdir)"
}

# The boot-time files of boot/ (README.md, "Mounting at boot"): the mount
# unit through `systemd-analyze verify`; each fstab line through
# systemd-fstab-generator, whose unit must be verified too, and for
# boot/fstab.systemd require and follow modprobe@tcgroup.service; each line
# quoted verbatim in the README; the modules-load.d file naming tcgroup
# alone. Any message of systemd-analyze (an unknown key it ignores, too)
# fails. The guest checks the modules-load.d and fstab way
# (tcgroup_boot.sh); it has no systemd.
do_bootlint() {
	local out gen f line generator
	do_setup
	step "systemd-analyze verify on boot/ (mount unit, fstab lines), modules-load.d"
	command -v systemd-analyze >/dev/null ||
		die "no systemd-analyze (package systemd; scripts/setup-host.sh installs it)"
	for generator in /usr/lib/systemd/system-generators/systemd-fstab-generator \
		/lib/systemd/system-generators/systemd-fstab-generator ''; do
		[ -z "$generator" ] || [ ! -x "$generator" ] || break
	done
	[ -n "$generator" ] || die "no systemd-fstab-generator (package systemd)"
	out=$(systemd-analyze verify --man=no "$top/boot/sys-fs-tcgroup.mount" 2>&1) && [ -z "$out" ] ||
		die "systemd-analyze verify boot/sys-fs-tcgroup.mount: $out"
	gen=$build/bootlint
	for f in fstab fstab.systemd; do
		rm -rf "${gen:?}/$f"
		mkdir -p "$gen/$f"
		SYSTEMD_FSTAB=$top/boot/$f SYSTEMD_PROC_CMDLINE='' "$generator" "$gen/$f" "$gen/$f" "$gen/$f" ||
			die "systemd-fstab-generator failed on boot/$f"
		[ -f "$gen/$f/sys-fs-tcgroup.mount" ] || die "boot/$f: no sys-fs-tcgroup.mount from systemd-fstab-generator"
		out=$(systemd-analyze verify --man=no "$gen/$f/sys-fs-tcgroup.mount" 2>&1) && [ -z "$out" ] ||
			die "systemd-analyze verify of boot/$f's unit: $out"
		line=$(grep -v '^#' "$top/boot/$f")
		grep -qF "$line" "$top/README.md" || die "README.md does not quote boot/$f's line: $line"
	done
	grep -qx 'Requires=modprobe@tcgroup.service' "$gen/fstab.systemd/sys-fs-tcgroup.mount" &&
		grep -qx 'After=modprobe@tcgroup.service' "$gen/fstab.systemd/sys-fs-tcgroup.mount" ||
		die "boot/fstab.systemd's unit does not require and follow modprobe@tcgroup.service"
	[ "$(grep -Ev '^[[:space:]]*([#;]|$)' "$top/boot/tcgroup.conf")" = tcgroup ] ||
		die "boot/tcgroup.conf must name the module tcgroup, and only it"
	info "boot: sys-fs-tcgroup.mount and both fstab lines verified"
}

# bench/report.py on the log of a small run kept in bench/tests/: the report
# has no placeholder and comes from its JSON alone (no guest needed).
do_benchreport() {
	step "bench/test_report.py"
	mkdir -p "$build"
	python3 "$top/bench/test_report.py" >"$build/test_report.log" 2>&1 ||
		{ cat "$build/test_report.log"; die "bench/test_report.py failed"; }
	info "bench report: $(tail -n 1 "$build/test_report.log")"
}

do_lint() {
	do_clippy
	do_rustdoc
	do_rustfmt --check
	do_checkpatch
	do_shellcheck
	do_rstcheck
	do_bootlint
	do_benchreport
	do_toollint
}

cmd=${1:-check}
shift || true
case "$cmd" in
setup) do_setup ;;
kernel) do_kernel ;;
module) do_module "$@" ;;
selftests) do_selftests ;;
initramfs) do_initramfs ;;
check) do_check ;;
run)
	do_initramfs
	boot run
	;;
shell)
	do_initramfs
	boot shell
	;;
bench) do_bench ;;
paths) do_paths ;;
modules_install) do_modules_install ;;
dkms) do_dkms ;;
clippy) do_clippy ;;
rustfmt) do_rustfmt ;;
rustfmtcheck) do_rustfmt --check ;;
checkpatch) do_checkpatch ;;
shellcheck) do_shellcheck ;;
rstcheck) do_rstcheck ;;
tool) do_tool ;;
toollint) do_toollint ;;
bootlint) do_bootlint ;;
rustdoc) do_rustdoc ;;
lint) do_lint ;;
rust-analyzer)
	do_module
	kmake -C "$(kdir)" M="$build/module/src" rust-analyzer
	sed "s|$build/module/src|$top|g" "$build/module/src/rust-project.json" >"$top/rust-project.json"
	info "wrote $top/rust-project.json"
	;;
*) die "unknown command $cmd" ;;
esac
