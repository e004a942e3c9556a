# SPDX-License-Identifier: GPL-2.0
#
# tcgroup: out-of-tree Rust-for-Linux module, its guest kernels and its tests.
#
# With KDIR, this is the usual out-of-tree module build against your own
# Rust-enabled kernel (LLVM=1):
#
#	make KDIR=/path/to/linux/build LLVM=1
#
# Without KDIR, every target works on the harness's own guest kernel, built
# from Debian's linux-source package and cached (see README.md):
#
#	make check        set up what is missing, build, boot, run every test
#	make run          boot the guest and show the demo transcript
#	make shell        boot the guest with an interactive shell
#	make check-debug  `make check` on the debug kernel (KASAN, lockdep, ...)
#	make kernel       only build (or reuse) the guest kernel
#	make paths        print KIMAGE=, KDIR= and MODULE= for the built kernel
#	make bench        benchmarks against cgroup v1, report in bench/results/
#	make modules_install (or install)  install for the guest kernel, depmod
#	make dkms         dkms add/build/install against the guest kernel
#
# `make check KDIR=/path/to/build [KIMAGE=...]` runs the suite on your kernel.
#
# Variables: KVER (7.3 or 6.12), FLAVOUR (test or debug), TCGROUP_CACHE,
# QEMU_ACCEL (tcg; kvm where it works), QEMU_TIMEOUT (seconds), LLVM (-19;
# 1 or a directory ending in / as for the kernel), TCGROUP_SETUP (0: install
# nothing), RUNNER (qemu; vng: `make check` boots with virtme-ng).

KVER ?= 7.3
FLAVOUR ?= test
TCGROUP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tcgroup
QEMU_ACCEL ?= tcg
QEMU_TIMEOUT ?= 1800
SHELL := /bin/bash
H := $(CURDIR)/scripts/harness.sh
HARNESS = KVER=$(KVER) FLAVOUR=$(FLAVOUR) TCGROUP_CACHE=$(TCGROUP_CACHE) \
	QEMU_ACCEL=$(QEMU_ACCEL) QEMU_TIMEOUT=$(QEMU_TIMEOUT) $(H)

ifneq ($(KDIR),)
# Building against a user-supplied kernel build, in place. LLVM is the
# kernel's: 1 (clang, ld.lld, ... from PATH), -NN (clang-NN) or a directory
# ending in /. RUSTC, RUSTDOC, BINDGEN and CLIPPY_DRIVER set in the
# environment (as dkms and the harness do) reach the kernel's make too.
LLVM ?= 1
KERNELRELEASE_OF_KDIR = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) \
	$(foreach v,RUSTC RUSTDOC BINDGEN CLIPPY_DRIVER,$(if $(filter environment%,$(origin $(v))),$(v)=$($(v))))

default: modules

modules clean rust-analyzer:
	$(KMAKE) $@

# Builds what is missing, then the kernel's modules_install (into
# $(INSTALL_MOD_PATH)/lib/modules/<release>/updates), which runs depmod only when
# the build has a System.map; depmod runs here again so that `modprobe tcgroup`
# and the `fs-tcgroup` alias (`mount -t tcgroup` loads the module) work after an
# install against a headers-only tree too.
modules_install: modules
	$(KMAKE) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KERNELRELEASE_OF_KDIR)

install: modules_install

clippy:
	$(KMAKE) CLIPPY=1 modules

rustfmt rustfmtcheck:
	$(CURDIR)/scripts/rustfmt.sh $(if $(wildcard $(KDIR)/source),$(KDIR)/source,$(KDIR)) $(if $(filter rustfmtcheck,$@),--check)

# The harness on this kernel: `make check KDIR=...` checks its configuration,
# then runs the whole suite on its arch/x86/boot/bzImage (or KIMAGE).
check run shell lint paths:
	@KDIR=$(KDIR) $(if $(KIMAGE),KIMAGE=$(KIMAGE)) $(HARNESS) $@

.PHONY: default modules modules_install install clean rust-analyzer clippy rustfmt \
	rustfmtcheck check run shell lint paths

else
# The harness: everything on the cached guest kernel, built with this
# toolchain (scripts/toolchain.sh checks it; scripts/setup-host.sh installs it).
# LLVM=1 uses the unversioned tools on PATH, or LLVM 19's when PATH has no clang.
LLVM ?= -19
RUSTC ?= /usr/bin/rustc
RUSTDOC ?= /usr/bin/rustdoc
BINDGEN ?= $(HOME)/.cargo/bin/bindgen
export LLVM RUSTC RUSTDOC BINDGEN

default: module

setup kernel module selftests initramfs check run shell paths bench clippy \
rustfmt rustfmtcheck rust-analyzer checkpatch lint modules_install dkms:
	@$(HARNESS) $@

install: modules_install

check-debug:
	@$(MAKE) --no-print-directory FLAVOUR=debug check

clean:
	rm -rf $(CURDIR)/build

.PHONY: default setup kernel module selftests initramfs check check-debug run \
	shell paths bench clippy rustfmt rustfmtcheck rust-analyzer checkpatch lint clean \
	modules_install install dkms
endif
