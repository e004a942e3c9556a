#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot-time use with the installed files (README.md, "Mounting at boot"):
# the modules-load.d file `make install` installs and the /etc/fstab line the
# README documents (boot/fstab), which the harness puts into the guest
# (`make guest-install`). As at boot, from the module not loaded: the fstab
# line cannot mount, since /sys/fs/tcgroup exists only once the module is
# loaded; the module is loaded the way modules-load.d(5) says (every
# /etc, /run, /usr/local/lib and /usr/lib modules-load.d/*.conf, a module
# name a line, `#` and `;` lines ignored), as systemd-modules-load or
# /etc/init.d/kmod does; then `mount -a -t tcgroup` mounts the line at
# /sys/fs/tcgroup, with the options /proc/mounts shows for the same options
# on cgroup v1. The systemd mount unit and the x-systemd fstab line are
# checked on the host by `make lint` (systemd-analyze verify): the guest has
# no systemd. Whether the module was loaded at the start is restored at the
# end. Runs under busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

MOUNTPOINT=/sys/fs/tcgroup

ktap_print_header

if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
if ! mod_installed; then
	ktap_skip_all "tcgroup.ko is not installed in /lib/modules/$(uname -r)" \
		"(make install, then depmod)"
	exit "$KSFT_SKIP"
fi
line=$(awk '$1 !~ /^#/ && $2 == "/sys/fs/tcgroup" && $3 == "tcgroup"' /etc/fstab 2>/dev/null)
if [ -z "$line" ]; then
	ktap_skip_all "no tcgroup line for /sys/fs/tcgroup in /etc/fstab (boot/fstab)"
	exit "$KSFT_SKIP"
fi
opts=$(echo "$line" | awk '{ print $4 }')

# The modules-load.d files, in the directories systemd-modules-load reads.
conf_files() {
	for _d in /etc/modules-load.d /run/modules-load.d /usr/local/lib/modules-load.d \
		/usr/lib/modules-load.d; do
		for _f in "$_d"/*.conf; do
			[ -f "$_f" ] && echo "$_f"
		done
	done
}
if [ -z "$(conf_files)" ]; then
	ktap_skip_all "no modules-load.d file" \
		"(make install puts boot/tcgroup.conf in PREFIX/lib/modules-load.d)"
	exit "$KSFT_SKIP"
fi

v1=
cleanup() {
	_n=0
	while is_mounted "$MOUNTPOINT" && [ $_n -lt 8 ]; do
		umount "$MOUNTPOINT" || umount -l "$MOUNTPOINT"
		_n=$((_n + 1))
	done
	if [ -n "$v1" ]; then
		umount "$v1" 2>/dev/null
		rmdir "$v1"
	fi
	restore_module
}
trap cleanup EXIT
trap 'exit "$KSFT_FAIL"' HUP INT TERM
unload_first

# The options field /proc/mounts shows for the mount at DIR.
mount_opts() {
	awk -v dir="$1" '$2 == dir { o = $4 } END { print o }' /proc/mounts
}

ktap_set_plan 4

desc="without the module, the fstab line cannot mount ($MOUNTPOINT does not exist)"
if [ -e "$MOUNTPOINT" ]; then
	ktap_print_msg "$MOUNTPOINT exists with tcgroup unloaded"
	ktap_test_fail "$desc"
elif out=$(mount -a -t tcgroup 2>&1) && is_mounted "$MOUNTPOINT"; then
	ktap_print_msg "mount -a mounted $MOUNTPOINT before the module was loaded"
	ktap_test_fail "$desc"
elif mod_loaded; then
	ktap_print_msg "the failed mount loaded tcgroup (mount -a: $out)"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="modules-load.d loads tcgroup and $MOUNTPOINT appears"
loaded=
for f in $(conf_files); do
	for m in $(grep -Ev '^[[:space:]]*([#;]|$)' "$f"); do
		if out=$(modprobe "$m" 2>&1); then
			loaded="$loaded $m"
		else
			ktap_print_msg "$f: modprobe $m: $out"
		fi
	done
done
if ! mod_loaded; then
	ktap_print_msg "modules loaded from modules-load.d:$loaded; tcgroup is not loaded"
	ktap_test_fail "$desc"
elif [ ! -d "$MOUNTPOINT" ]; then
	ktap_print_msg "tcgroup is loaded but there is no $MOUNTPOINT"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="mount -a mounts the fstab line at $MOUNTPOINT as cgroup v1 shows its options"
v1=$(mktemp -d /tmp/tcgroup-boot-v1.XXXXXX) || ktap_exit_fail_msg "mktemp -d failed"
if ! out=$(mount -a -t tcgroup 2>&1); then
	ktap_print_msg "mount -a -t tcgroup: $out"
	ktap_test_fail "$desc"
elif ! is_mounted "$MOUNTPOINT"; then
	ktap_print_msg "mount -a succeeded but nothing is mounted at $MOUNTPOINT"
	ktap_test_fail "$desc"
elif ! out=$(mount -t cgroup -o "$opts" cgroup "$v1" 2>&1); then
	ktap_print_msg "cgroup v1 with the fstab options ($opts): $out"
	ktap_test_fail "$desc"
elif [ "$(mount_opts "$MOUNTPOINT")" != "$(mount_opts "$v1")" ]; then
	ktap_print_msg "tcgroup: $(mount_opts "$MOUNTPOINT")"
	ktap_print_msg "cgroup v1: $(mount_opts "$v1")"
	ktap_test_fail "$desc"
else
	case ",$(mount_opts "$MOUNTPOINT")," in
	*,nosuid,*nodev,*noexec,*release_agent=*,name=jobs,*)
		ktap_test_pass "$desc"
		;;
	*)
		ktap_print_msg "options: $(mount_opts "$MOUNTPOINT") (fstab: $opts)"
		ktap_test_fail "$desc"
		;;
	esac
fi

desc="the boot mount pins the module; after umount it unloads and $MOUNTPOINT goes"
if ! is_mounted "$MOUNTPOINT"; then
	ktap_print_msg "nothing mounted at $MOUNTPOINT"
	ktap_test_fail "$desc"
elif rmmod tcgroup 2>/dev/null; then
	ktap_print_msg "rmmod succeeded with $MOUNTPOINT mounted"
	ktap_test_fail "$desc"
elif ! umount "$MOUNTPOINT"; then
	ktap_test_fail "$desc"
elif ! rmmod_poll 120; then
	ktap_test_fail "$desc"
elif [ -e "$MOUNTPOINT" ]; then
	ktap_print_msg "$MOUNTPOINT is still there after the unload"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

ktap_finished
