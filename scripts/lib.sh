# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the tcgroup host scripts: progress lines and errors.

# step MESSAGE: announce a long step.
step() {
	printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

# info MESSAGE: a progress detail.
info() {
	printf '    %s\n' "$*" >&2
}

# die MESSAGE: fail with a message.
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}
