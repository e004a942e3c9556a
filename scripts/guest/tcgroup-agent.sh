#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# An example release agent (Documentation/tcgroup.rst, "The release agent"):
# tcgroup runs it as `tcgroup-agent PATH` when the group PATH (relative to the
# hierarchy root, `/a/b`) becomes empty. It records the call and removes the
# group, as a real agent would; the log is what the demo shows.
#
#   tcgroup-agent PATH [MOUNTPOINT]
#
# The kernel passes PATH only, with HOME=/ and PATH=... as the whole
# environment, no open stdin, stdout or stderr, in the initial namespaces.
# The hierarchy's mount point is, in order: the second argument, then
# $TCGROUP_MOUNT (both for running it by hand or from a wrapper), then the
# tcgroup mount of the initial mount namespace whose release_agent= is this
# program, if there is exactly one such hierarchy. The log is
# $TCGROUP_AGENT_LOG, by default /run/tcgroup-agent.log.

log=${TCGROUP_AGENT_LOG:-/run/tcgroup-agent.log}
exec >>"$log" 2>&1 </dev/null

group=$1
mnt=${2:-${TCGROUP_MOUNT:-}}
if [ -z "$mnt" ]; then
	# One line per mount naming this agent: the mount point, then the
	# options, which tell hierarchies apart (name=, subsystems).
	found=$(awk -v agent="release_agent=$0" '$3 == "tcgroup" {
		n = split($4, o, ",")
		for (i = 1; i <= n; i++)
			if (o[i] == agent)
				print $2, $4
	}' /proc/mounts)
	if [ "$(printf '%s\n' "$found" | awk 'NF { print $2 }' | sort -u | wc -l)" -ne 1 ]; then
		echo "$group (not removed: no single hierarchy names $0; pass its mount point)"
		exit 1
	fi
	mnt=$(printf '%s\n' "$found" | awk 'NF { print $1; exit }')
fi
echo "$group"
rmdir "$mnt$group" 2>/dev/null
