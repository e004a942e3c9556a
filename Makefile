# SPDX-License-Identifier: GPL-2.0
#
# tcgroup: out-of-tree Rust-for-Linux module, its guest kernels and its tests.
#
# As every out-of-tree module, `make` builds tcgroup.ko against KDIR, by
# default the running kernel's build tree, and `make install` installs it
# into the system (`make help` lists everything):
#
#	make [KDIR=/path/to/linux/build] [LLVM=...] [RUSTC=...]
#	sudo make install
#
# The test harness builds its own guest kernels from Debian's linux-source
# packages, caches them, and boots them in QEMU (see README.md):
#
#	make check        set up what is missing, build, boot, run every test
#	make run          boot the guest and show the demo transcript
#
# With KDIR given, the harness targets that can (check, run, shell, lint,
# paths, clippy, rustfmt, rustfmtcheck, rust-analyzer) use that kernel
# instead of the cached one.

KVER ?= 7.3
FLAVOUR ?= test
TCGROUP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tcgroup
QEMU_ACCEL ?=
# The guest's bound in seconds: 1800, 2700 on the debug kernel, which runs the
# suite about 4 times slower (scripts/harness.sh).
QEMU_TIMEOUT ?= $(if $(filter debug,$(FLAVOUR)),2700,1800)
SHELL := /bin/bash

# What the user gave (command line or environment), before any default.
KDIR_GIVEN := $(filter-out undefined,$(origin KDIR))
LLVM_GIVEN := $(filter-out undefined,$(origin LLVM))

# The module build: the kernel's out-of-tree conventions. The toolchain is
# the kernel's, found by scripts/find-toolchain.sh from KDIR's configuration
# and known locations (and the toolchain.conf `make dkms-add` records), so
# that a kernel package's hook, running `dkms autoinstall` with no
# environment, builds the module too. LLVM, RUSTC, RUSTDOC and BINDGEN given
# on the command line or in the environment are kept; CLIPPY_DRIVER from the
# environment reaches the kernel's make as well.
KDIR ?= /lib/modules/$(shell uname -r)/build
KGIVEN := $(foreach v,LLVM RUSTC RUSTDOC BINDGEN,$(if $(filter environment% command% override,$(origin $(v))),$(v)='$($(v))'))
KTOOLS := $(if $(wildcard $(KDIR)/include/config/auto.conf),$(shell env $(KGIVEN) $(CURDIR)/scripts/find-toolchain.sh $(KDIR)))
ktool = $(patsubst $(1)=%,%,$(filter $(1)=%,$(KTOOLS)))
KLLVM := $(call ktool,LLVM)
KLLVMBIN := $(call ktool,LLVMBIN)
KTC := $(foreach v,LLVM RUSTC RUSTDOC BINDGEN,$(if $(call ktool,$(v)),$(v)=$(call ktool,$(v))))
# dkms adds CC=clang LD=ld.lld for a clang-built kernel: the unversioned
# names must be the kernel's LLVM.
ifneq ($(KLLVMBIN),)
export PATH := $(KLLVMBIN):$(PATH)
endif
KRELEASE = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) $(KTC) \
	$(if $(filter environment%,$(origin CLIPPY_DRIVER)),CLIPPY_DRIVER=$(CLIPPY_DRIVER))
KCHECK = env $(KTC) $(CURDIR)/scripts/check-kdir.sh $(KDIR)

# The harness, on the cached guest kernel (or KDIR's), built with this
# toolchain (scripts/toolchain.sh checks it; scripts/setup-host.sh installs
# it). LLVM=1 uses the unversioned tools on PATH, or LLVM 19's when PATH has
# no clang.
H := $(CURDIR)/scripts/harness.sh
HARNESS = KVER=$(KVER) FLAVOUR=$(FLAVOUR) TCGROUP_CACHE=$(TCGROUP_CACHE) \
	QEMU_ACCEL=$(QEMU_ACCEL) QEMU_TIMEOUT=$(QEMU_TIMEOUT) \
	LLVM=$(if $(LLVM_GIVEN),$(LLVM),-19) RUSTC=$(or $(RUSTC),/usr/bin/rustc) \
	RUSTDOC=$(or $(RUSTDOC),/usr/bin/rustdoc) BINDGEN=$(or $(BINDGEN),$(HOME)/.cargo/bin/bindgen) \
	$(if $(KDIR_GIVEN),KDIR=$(KDIR) $(if $(KIMAGE),KIMAGE=$(KIMAGE))) $(H)

default: modules

# The module against KDIR, in place (rust/tcgroup.ko), after a check that
# names what the kernel tree or the toolchain lacks.
modules:
	@$(KCHECK)
	+$(KMAKE) modules

# The kernel's modules_install (into $(INSTALL_MOD_PATH)/lib/modules/<release>/
# updates), which runs depmod only when the build has a System.map; depmod
# runs here again so that `modprobe tcgroup` and the `fs-tcgroup` alias
# (`mount -t tcgroup` loads the module) work after an install against a
# headers-only tree too.
modules_install: modules
	+$(KMAKE) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

install: modules_install install-boot

uninstall: uninstall-boot
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/updates/rust/tcgroup.ko
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

# Boot-time use (README.md, "Mounting at boot"), under $(DESTDIR)$(PREFIX):
# the modules-load.d file that loads the module at boot, and the systemd
# mount unit of /sys/fs/tcgroup, its release agent the tcgroup command's
# $(PREFIX)/sbin/tcgroup-agent (`make tool-install`). Enabling the unit, or
# an /etc/fstab line (boot/fstab, boot/fstab.systemd), is the user's choice.
install-boot:
	install -D -m 0644 $(CURDIR)/boot/tcgroup.conf $(DESTDIR)$(PREFIX)/lib/modules-load.d/tcgroup.conf
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/tcgroup-agent|$(PREFIX)/sbin/tcgroup-agent|' $(CURDIR)/boot/sys-fs-tcgroup.mount \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/sys-fs-tcgroup.mount
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/sys-fs-tcgroup.mount

uninstall-boot:
	rm -f $(DESTDIR)$(PREFIX)/lib/modules-load.d/tcgroup.conf \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/sys-fs-tcgroup.mount

# DKMS (dkms.conf; README.md, "DKMS"): a clean copy of the package's sources
# (tracked files only: scripts/dkms-source.sh) in $(DKMS_SRC)/tcgroup-<version>
# with the toolchain of this environment recorded in its toolchain.conf, then
# `dkms add` (which builds nothing yet: `dkms install tcgroup/<version>` or
# the next kernel's hook does).
DKMS_SRC ?= /usr/src
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(CURDIR)/dkms.conf)
dkms-add:
	$(CURDIR)/scripts/dkms-source.sh $(DKMS_SRC)/tcgroup-$(DKMS_VERSION)
	env $(KGIVEN) $(CURDIR)/scripts/find-toolchain.sh --record $(DKMS_SRC)/tcgroup-$(DKMS_VERSION)/toolchain.conf
	dkms add -m tcgroup -v $(DKMS_VERSION) --sourcetree $(DKMS_SRC)

dkms-remove:
	-dkms remove -m tcgroup -v $(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)/tcgroup-$(DKMS_VERSION)

# The tcgroup command (tools/tcgroup, Documentation/tcgroup-tool.rst): the
# harness's static build (`make tool`, needs cargo), installed under
# $(DESTDIR)$(PREFIX) with the release agent's name linked to it, its manual
# pages and its bash completion. Apart from `make install`, which must work
# with the kernel's toolchain alone.
PREFIX ?= /usr/local
TOOL_BIN := $(CURDIR)/build/tool/static/x86_64-unknown-linux-gnu/release/tcgroup
tool-install:
	@$(HARNESS) tool
	install -D -m 0755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/tcgroup
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	ln -sf ../bin/tcgroup $(DESTDIR)$(PREFIX)/sbin/tcgroup-agent
	$(TOOL_BIN) gen man $(DESTDIR)$(PREFIX)/share/man/man1
	$(TOOL_BIN) gen completions bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcgroup

tool-uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tcgroup $(DESTDIR)$(PREFIX)/sbin/tcgroup-agent \
		$(DESTDIR)$(PREFIX)/share/man/man1/tcgroup.1 $(DESTDIR)$(PREFIX)/share/man/man1/tcgroup-*.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcgroup

# The in-place objects of a KDIR build, and the harness's build/ (the kernel
# cache stays).
clean:
	$(if $(wildcard $(KDIR)/Makefile),$(KMAKE) clean)
	rm -rf $(CURDIR)/build

ifneq ($(KDIR_GIVEN),)
clippy:
	@$(KCHECK)
	+$(KMAKE) CLIPPY=1 modules

rust-analyzer:
	@$(KCHECK)
	+$(KMAKE) rust-analyzer

rustfmt rustfmtcheck:
	$(CURDIR)/scripts/rustfmt.sh $(if $(wildcard $(KDIR)/source),$(KDIR)/source,$(KDIR)) $(if $(filter rustfmtcheck,$@),--check)

# The harness on this kernel: `make check KDIR=...` checks its configuration,
# then runs the whole suite on its arch/x86/boot/bzImage (or KIMAGE).
check run shell lint paths:
	@$(HARNESS) $@
else
setup kernel module selftests initramfs check run shell paths bench clippy \
rustfmt rustfmtcheck rust-analyzer checkpatch shellcheck lint dkms tool toollint bootlint \
rustdoc:
	@$(HARNESS) $@

# The harness's modules_install: into build/<kver>-<flavour>/modroot (or
# INSTALL_MOD_PATH) for the guest kernel, then depmod (part of `make check`).
guest-install:
	@$(HARNESS) modules_install

check-debug:
	@$(MAKE) --no-print-directory FLAVOUR=debug check

# `make run`, then the transcript it recorded pasted into README.md's marked
# blocks (scripts/readme-transcript.py), only from a demo that passed.
readme:
	@$(MAKE) --no-print-directory run
	@python3 scripts/readme-transcript.py build/$(KVER)-$(FLAVOUR)/run/demo.log README.md
endif

help:
	@echo 'tcgroup: out-of-tree Rust-for-Linux module (README.md)'
	@echo
	@echo 'The module, against KDIR (default /lib/modules/$$(uname -r)/build):'
	@echo '  make, make modules  build rust/tcgroup.ko in place (checks CONFIG_RUST, the'
	@echo '                      Rust metadata and the toolchain first)'
	@echo '  make install        modules_install into /lib/modules/<release>/updates, depmod;'
	@echo '                      install-boot: modules-load.d file and sys-fs-tcgroup.mount'
	@echo '                      into $$(DESTDIR)$$(PREFIX)/lib (README.md, "Mounting at boot")'
	@echo '  make modules_install  the same'
	@echo '  make uninstall      remove the installed module and boot files, depmod'
	@echo '  make dkms-add       copy the sources (tracked files) to /usr/src/tcgroup-<version>,'
	@echo '                      record the toolchain, dkms add (then: dkms install tcgroup/<version>)'
	@echo '  make dkms-remove    dkms remove --all, remove /usr/src/tcgroup-<version>'
	@echo '  make tool-install   the tcgroup command, its agent link, manual pages and bash'
	@echo '                      completion into $$(DESTDIR)$$(PREFIX) (/usr/local); tool-uninstall'
	@echo '  make clean          remove the in-place objects and build/'
	@echo
	@echo 'The harness (its own cached guest kernels, QEMU; with KDIR=, your kernel):'
	@echo '  make check          set up what is missing, build, boot, run every test'
	@echo '  make check-debug    make check on the debug kernel (KASAN, lockdep, ...)'
	@echo '  make run            boot the guest and show the demo transcript'
	@echo '  make readme         make run, then its transcript into README.md'
	@echo '  make shell          boot the guest with an interactive shell'
	@echo '  make bench          benchmarks against cgroup v1 (report in bench/results/)'
	@echo '  make lint           clippy, rustdoc, rustfmtcheck, checkpatch, codespell, shellcheck,'
	@echo '                      docs, bootlint (systemd-analyze verify on boot/),'
	@echo '                      and toollint'
	@echo '  make tool           build the tcgroup command (tools/tcgroup), static, in build/tool'
	@echo '  make toollint       its cargo fmt --check, cargo clippy -D warnings, cargo test'
	@echo '  make clippy, rustdoc, rustfmt, rustfmtcheck, checkpatch, shellcheck, bootlint,'
	@echo '                      rust-analyzer'
	@echo '  make kernel         only build (or reuse) the guest kernel'
	@echo '  make module         build tcgroup.ko against the guest kernel (build/)'
	@echo '  make paths          print KIMAGE=, KDIR= and MODULE= for the guest kernel'
	@echo '  make guest-install  modules_install for the guest kernel into build/.../modroot'
	@echo '  make dkms           dkms add/build/install against the guest kernel'
	@echo
	@echo 'Variables:'
	@echo '  KDIR           kernel build tree (module: the running kernel'"'"'s; harness: its own)'
	@echo '  KIMAGE         with KDIR, the image make check boots (arch/x86/boot/bzImage)'
	@echo '  LLVM           the kernel'"'"'s: 1, -NN or DIR/ (module: from the kernel'"'"'s config;'
	@echo '                 harness: -19)'
	@echo '  RUSTC, RUSTDOC, BINDGEN, CLIPPY_DRIVER  the Rust toolchain (the kernel'"'"'s)'
	@echo '  INSTALL_MOD_PATH  root to install into (default /)'
	@echo '  KVER           harness kernel line: 7.3 (default) or 6.12'
	@echo '  FLAVOUR        test (default) or debug'
	@echo '  QEMU_ACCEL     kvm or tcg (unset: kvm when it works, probed)'
	@echo '  QEMU_TIMEOUT   guest timeout in seconds (1800; 2700 with FLAVOUR=debug)'
	@echo '  TCGROUP_CACHE  kernel cache (~/.cache/tcgroup)'
	@echo '  TCGROUP_SETUP  0: install nothing on the host'
	@echo '  TCGROUP_TESTS  comma-separated tests to run (make check)'
	@echo '  RUNNER         qemu (default) or vng (virtme-ng)'

.PHONY: default modules modules_install install uninstall clean help clippy rustfmt \
	rustfmtcheck rust-analyzer check run shell lint paths setup kernel module selftests \
	initramfs bench checkpatch shellcheck dkms guest-install check-debug \
	tool toollint tool-install tool-uninstall dkms-add dkms-remove \
	install-boot uninstall-boot bootlint rustdoc readme
