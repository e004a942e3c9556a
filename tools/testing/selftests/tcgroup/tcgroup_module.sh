#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading tcgroup.ko: repeated load/rmmod, registration in
# /proc/filesystems, a mount pinning the module, and the kernel log line of
# an unknown mount option. The module is loaded as tcgroup_lib.sh's
# load_module does (insmod $TCGROUP_KO, or modprobe tcgroup when installed);
# whether it was loaded at the start is restored at the end. Runs under
# busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

CYCLES=5
UNKNOWN_MSG="tcgroup: Unknown parameter 'foo'"

fs_registered() {
	awk '$NF == "tcgroup" { found = 1 } END { exit !found }' /proc/filesystems
}

# Writes a unique marker line to the kernel log. A count of messages would
# not do: other tests (the fuzzer) may fill the ring buffer meanwhile.
log_marker() {
	marker="tcgroup_module.sh: marker $$ $(date +%s)"
	echo "$marker" >/dev/kmsg
}

# Whether the kernel log has MESSAGE after the last marker.
logged_since_marker() {
	dmesg | awk -v m="$marker" -v msg="$1" '
		index($0, m) { seen = 1; found = 0; next }
		seen && index($0, msg) { found = 1 }
		END { exit !found }'
}

ktap_print_header

if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
if ! why=$(module_available); then
	ktap_skip_all "$why"
	exit "$KSFT_SKIP"
fi

scratch_mount

ktap_set_plan $((CYCLES + 8))

# 1..CYCLES: load and unload, each step checked in /proc/modules.
i=1
while [ $i -le $CYCLES ]; do
	desc="load/rmmod cycle $i"
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "$(load_how): $out"
		ktap_test_fail "$desc"
	elif ! mod_loaded; then
		ktap_print_msg "tcgroup not in /proc/modules after $(load_how)"
		ktap_test_fail "$desc"
	elif ! out=$(rmmod tcgroup 2>&1); then
		ktap_print_msg "rmmod tcgroup: $out"
		ktap_test_fail "$desc"
	elif mod_loaded; then
		ktap_print_msg "tcgroup still in /proc/modules after rmmod"
		ktap_test_fail "$desc"
	else
		ktap_test_pass "$desc"
	fi
	i=$((i + 1))
done

# A failed cycle may have left the module loaded.
! mod_loaded || rmmod tcgroup

desc="tcgroup in /proc/filesystems after loading"
if ! out=$(load_module 2>&1); then
	ktap_print_msg "$(load_how): $out"
	ktap_test_fail "$desc"
elif ! fs_registered; then
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="mount and umount of an empty hierarchy"
if ! out=$(mount -t tcgroup none "$mnt" 2>&1); then
	ktap_print_msg "mount -t tcgroup none $mnt: $out"
	ktap_test_fail "$desc"
elif ! is_mounted "$mnt"; then
	ktap_print_msg "mount succeeded but /proc/mounts has no tcgroup at $mnt"
	ktap_test_fail "$desc"
elif ! out=$(umount "$mnt" 2>&1); then
	ktap_print_msg "umount $mnt: $out"
	ktap_test_fail "$desc"
elif is_mounted "$mnt"; then
	ktap_print_msg "tcgroup still at $mnt after umount"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="rmmod fails while mounted and the module stays loaded"
if ! out=$(mount -t tcgroup none "$mnt" 2>&1); then
	ktap_print_msg "mount -t tcgroup none $mnt: $out"
	ktap_test_fail "$desc"
elif out=$(rmmod tcgroup 2>&1); then
	ktap_print_msg "rmmod tcgroup succeeded with a tcgroup mounted at $mnt"
	ktap_test_fail "$desc"
elif ! mod_loaded; then
	ktap_print_msg "rmmod failed ($out) but tcgroup left /proc/modules"
	ktap_test_fail "$desc"
elif ! is_mounted "$mnt"; then
	ktap_print_msg "the tcgroup at $mnt is gone after the failed rmmod"
	ktap_test_fail "$desc"
else
	ktap_print_msg "rmmod refused as expected: $out"
	ktap_test_pass "$desc"
fi

desc="rmmod succeeds after umount"
unloaded=0
if is_mounted "$mnt" && ! out=$(umount "$mnt" 2>&1); then
	ktap_print_msg "umount $mnt: $out"
	ktap_test_fail "$desc"
elif ! mod_loaded; then
	ktap_print_msg "tcgroup is not loaded"
	ktap_test_fail "$desc"
elif ! out=$(rmmod tcgroup 2>&1); then
	ktap_print_msg "rmmod tcgroup: $out"
	ktap_test_fail "$desc"
elif mod_loaded; then
	ktap_print_msg "tcgroup still in /proc/modules after rmmod"
	ktap_test_fail "$desc"
else
	unloaded=1
	ktap_test_pass "$desc"
fi

desc="tcgroup gone from /proc/filesystems after rmmod"
if [ $unloaded -eq 0 ]; then
	ktap_print_msg "no successful rmmod of a loaded tcgroup to check"
	ktap_test_skip "$desc"
elif fs_registered; then
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

desc="unknown mount option fails and is logged"
log_marker
if ! out=$(load_module 2>&1); then
	ktap_print_msg "$(load_how): $out"
	ktap_test_fail "$desc"
elif out=$(mount -t tcgroup -o foo none "$mnt" 2>&1); then
	ktap_print_msg "mount -o foo succeeded"
	ktap_test_fail "$desc"
elif is_mounted "$mnt"; then
	ktap_print_msg "mount -o foo failed ($out) but a tcgroup is at $mnt"
	ktap_test_fail "$desc"
elif ! logged_since_marker "$UNKNOWN_MSG"; then
	ktap_print_msg "mount -o foo failed ($out) but the kernel log has no new \"$UNKNOWN_MSG\""
	ktap_test_fail "$desc"
else
	ktap_print_msg "mount -o foo: $out"
	ktap_test_pass "$desc"
fi

desc="/sys/fs/tcgroup exists while loaded"
if ! mod_loaded && ! out=$(load_module 2>&1); then
	ktap_print_msg "$(load_how): $out"
	ktap_test_fail "$desc"
elif [ ! -d /sys/fs/tcgroup ]; then
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

# A hierarchy with a child group outlives its mount (as in cgroup v1) and
# keeps the module loaded until it is mounted again and emptied.
desc="an unmounted hierarchy with groups pins the module"
hname="tcgmod_$$"
if ! out=$(mount -t tcgroup -o "none,name=$hname" none "$mnt" 2>&1); then
	ktap_print_msg "mount -o none,name=$hname: $out"
	ktap_test_fail "$desc"
elif ! mkdir "$mnt/child"; then
	ktap_test_fail "$desc"
elif ! umount "$mnt"; then
	ktap_test_fail "$desc"
elif out=$(rmmod tcgroup 2>&1); then
	ktap_print_msg "rmmod succeeded with hierarchy $hname alive"
	ktap_test_fail "$desc"
elif ! out=$(mount -t tcgroup -o "none,name=$hname" none "$mnt" 2>&1); then
	ktap_print_msg "mounting $hname again: $out"
	ktap_test_fail "$desc"
elif [ ! -d "$mnt/child" ]; then
	ktap_print_msg "$hname came back without its group"
	ktap_test_fail "$desc"
elif ! rmdir "$mnt/child" || ! umount "$mnt"; then
	ktap_test_fail "$desc"
elif ! out=$(rmmod tcgroup 2>&1); then
	ktap_print_msg "rmmod after emptying $hname: $out"
	ktap_test_fail "$desc"
elif [ -e /sys/fs/tcgroup ]; then
	ktap_print_msg "/sys/fs/tcgroup is still there after rmmod"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

restore
ktap_finished
