#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest's release agent: called by tcgroup as `tcgroup-agent PATH` when the
# group PATH (relative to the hierarchy root) becomes empty. It records the
# call and removes the group, as a real agent would. The log is the evidence
# the tests and the demo read.

# The kernel runs it with HOME=/ and PATH only, so the log and the hierarchy's
# mount point are fixed: the demo's.
log=/run/tcgroup-agent.log
echo "$1" >>"$log"
rmdir "/sys/fs/tcgroup$1" 2>/dev/null
