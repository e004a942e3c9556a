#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The `make run` demo: tcgroup end to end, as far as the module implements it,
# each command shown before its output. A step that does not do what the demo
# says (a command that fails, or one shown failing that succeeds) is
# marked FAILED, and the demo then exits with status 1 (`make run` fails).

mnt=/sys/fs/tcgroup
steps=0
failed=0

# step EXPECT CMD...: shows CMD and its output; EXPECT is `ok` for a command
# that must succeed, `fails` for one that must fail.
step() {
	expect=$1
	shift
	steps=$((steps + 1))
	echo "\$ $*"
	out=$(sh -c "$*" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /'
	if { [ "$expect" = ok ] && [ $rc -ne 0 ]; } || { [ "$expect" = fails ] && [ $rc -eq 0 ]; }; then
		echo "  ^ FAILED: exit status $rc, expected $expect"
		failed=$((failed + 1))
	fi
}

run() {
	step ok "$@"
}

fails() {
	step fails "$@"
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
fails "rmdir $mnt/jobs/batch"
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
run "for i in \$(seq 100); do [ -d $mnt/web ] || break; sleep 0.1; done; cat /run/tcgroup-agent.log; [ ! -d $mnt/web ]"
run "find $mnt -type d"
run "rmdir $mnt/jobs/batch/42 $mnt/jobs/batch $mnt/jobs"
echo "# the module is pinned while a hierarchy exists:"
fails "rmmod tcgroup"
run "umount $mnt"
run "rmmod tcgroup && echo rmmod ok"
fails "grep tcgroup /proc/filesystems"
echo "=== end of demo: $steps steps, $failed failed ==="
[ $failed -eq 0 ]
