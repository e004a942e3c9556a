#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The `make run` demo: tcgroup end to end, as far as the module implements it,
# each command shown before its output.

mnt=/sys/fs/tcgroup

run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 | sed 's/^/  /'
}

echo
echo "=== tcgroup demo on $(uname -r) ($(nproc) CPUs) ==="
run insmod /lib/modules/tcgroup.ko
run "grep tcgroup /proc/filesystems"
run "mount -t tcgroup -o release_agent=/sbin/tcgroup-agent none $mnt"
run "grep tcgroup /proc/mounts"
run "ls -la $mnt"
run "stat -f -c 'type=%t' $mnt"
echo "# the module is pinned while a hierarchy is mounted:"
run "rmmod tcgroup || echo rmmod refused"
run "umount $mnt"
run "rmmod tcgroup && echo rmmod ok"
run "grep -c tcgroup /proc/filesystems"
echo "=== end of demo ==="
