#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module loaded the way the kernel loads it: tcgroup.ko installed for
# the running kernel (make modules_install or DKMS, then depmod) carries the
# alias fs-tcgroup, so `mount -t tcgroup` with the module not loaded makes
# the kernel run modprobe, which loads it. Skips when tcgroup.ko is not
# installed. Whether it was loaded at the start is restored at the end.
# Runs under busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

ktap_print_header

if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
moddir=/lib/modules/$(uname -r)
if ! mod_installed; then
	ktap_skip_all "tcgroup.ko is not installed in $moddir (make modules_install, then depmod)"
	exit "$KSFT_SKIP"
fi

scratch_mount

ktap_set_plan 4

desc="modules.alias maps fs-tcgroup to tcgroup"
if grep -qx 'alias fs-tcgroup tcgroup' "$moddir/modules.alias"; then
	ktap_test_pass "$desc"
else
	aliases=$(grep tcgroup "$moddir/modules.alias" | tr '\n' ' ')
	ktap_print_msg "tcgroup in modules.alias: $aliases"
	ktap_test_fail "$desc"
fi

desc="mount -t tcgroup with the module unloaded loads it"
if mod_loaded; then
	ktap_print_msg "tcgroup is loaded before the mount"
	ktap_test_fail "$desc"
elif ! out=$(mount -t tcgroup none "$mnt" 2>&1); then
	ktap_print_msg "mount -t tcgroup none $mnt: $out"
	ktap_test_fail "$desc"
elif ! mod_loaded; then
	ktap_print_msg "the mount succeeded but tcgroup is not in /proc/modules"
	ktap_test_fail "$desc"
elif ! is_mounted "$mnt"; then
	ktap_print_msg "tcgroup loaded but nothing is mounted at $mnt"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="the autoloaded module is pinned by its mount and unloads after umount"
if ! is_mounted "$mnt"; then
	ktap_print_msg "nothing mounted at $mnt"
	ktap_test_fail "$desc"
elif out=$(rmmod tcgroup 2>&1); then
	ktap_print_msg "rmmod succeeded with a tcgroup mounted at $mnt"
	ktap_test_fail "$desc"
elif ! umount "$mnt"; then
	ktap_test_fail "$desc"
elif ! rmmod_poll 120; then
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="modprobe tcgroup loads the installed module"
if mod_loaded; then
	ktap_print_msg "tcgroup is still loaded"
	ktap_test_fail "$desc"
elif ! out=$(modprobe tcgroup 2>&1); then
	ktap_print_msg "modprobe tcgroup: $out"
	ktap_test_fail "$desc"
elif ! mod_loaded || ! awk '$NF == "tcgroup" { f = 1 } END { exit !f }' /proc/filesystems; then
	ktap_print_msg "modprobe succeeded but tcgroup is not loaded and registered"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

restore
ktap_finished
