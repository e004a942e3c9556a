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
echo "# groups are directories; a group with children cannot be removed:"
run "mkdir -p $mnt/jobs/batch/42 && ls $mnt/jobs/batch/42"
run "rmdir $mnt/jobs/batch"
echo "# a hierarchy with groups outlives its mount; mounting it again by name brings it back:"
run "umount $mnt"
run "mount -t tcgroup -o none,name=demo none $mnt && find $mnt -type d"
echo "# tasks: a shell moves itself into a group; its children are born there:"
run "sh -c 'echo 0 > $mnt/jobs/batch/42/tasks; sleep 30 & echo shell \$\$ child \$!; cat $mnt/jobs/batch/42/tasks; kill \$!'"
echo "# release: with notify_on_release set (new groups inherit it), the last task"
echo "# leaving a group makes the kernel run the agent with the group's path; this"
echo "# agent logs it and removes the group, which empties its parent in turn:"
run "echo 1 > $mnt/notify_on_release"
run "mkdir -p $mnt/web/frontend && cat $mnt/web/frontend/notify_on_release"
run "sh -c 'echo 0 > $mnt/web/frontend/tasks; exit 0'"
run "for i in \$(seq 100); do [ -d $mnt/web ] || break; sleep 0.1; done; cat /run/tcgroup-agent.log"
run "find $mnt -type d"
run "rmdir $mnt/jobs/batch/42 $mnt/jobs/batch $mnt/jobs"
echo "# the module is pinned while a hierarchy exists:"
run "rmmod tcgroup || echo rmmod refused"
run "umount $mnt"
run "rmmod tcgroup && echo rmmod ok"
run "grep -c tcgroup /proc/filesystems"
echo "=== end of demo ==="
