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
run "mount -t tcgroup -o none,name=demo,release_agent=/sbin/tcgroup-agent none $mnt"
run "grep tcgroup /proc/mounts"
run "ls $mnt"
run "cat $mnt/release_agent"
echo "# groups are directories; a new group inherits notify_on_release:"
run "echo 1 > $mnt/notify_on_release"
run "mkdir -p $mnt/jobs/batch/42"
run "cat $mnt/jobs/batch/42/notify_on_release"
run "ls $mnt/jobs/batch/42"
echo "# a group with children cannot be removed:"
run "rmdir $mnt/jobs/batch"
echo "# tasks: a shell moves itself into a group; its children are born there:"
run "sh -c 'echo 0 > $mnt/jobs/batch/42/tasks; sleep 30 & echo \$\$ \$!; cat $mnt/jobs/batch/42/tasks; kill \$!'"
run "cat $mnt/jobs/batch/42/tasks $mnt/jobs/batch/42/cgroup.procs"
echo "# a hierarchy with groups outlives its mount; mounting it again by name brings it back:"
run "umount $mnt"
run "mount -t tcgroup -o none,name=demo none $mnt && find $mnt -type d"
run "rmdir $mnt/jobs/batch/42 $mnt/jobs/batch $mnt/jobs"
echo "# the module is pinned while a hierarchy exists:"
run "rmmod tcgroup || echo rmmod refused"
run "umount $mnt"
run "rmmod tcgroup && echo rmmod ok"
run "grep -c tcgroup /proc/filesystems"
echo "=== end of demo ==="
