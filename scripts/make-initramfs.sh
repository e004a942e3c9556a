#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs with the kernel's own usr/gen_init_cpio.
#
#   make-initramfs.sh KDIR MODULE KSFT_INSTALL OUTPUT [MODULES [TOOL [ROOT]]]
#
# It holds busybox (static) with its applets, /init, tcgroup.ko at
# /lib/modules/tcgroup.ko, the installed kselftests at /kselftest, the
# release agent at /sbin/tcgroup-agent and the demo script. MODULES, a
# directory named after the kernel release (the install tree of `make dkms`),
# becomes /lib/modules/<release>: the module installed for the guest kernel,
# over which the guest runs depmod. TOOL, the static build of the `tcgroup`
# command (tools/tcgroup), becomes /usr/bin/tcgroup, with its release agent
# name /usr/sbin/tcgroup-agent linked to it. ROOT, the scratch root of
# `make guest-install`, gives its etc/ and usr/ files (the boot-time files
# `make install` installs, the README's /etc/fstab line) at the same paths.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

kdir=$1
module=$2
ksft=$3
output=$4
modules=${5:-}
tool=${6:-}
root=${7:-}

busybox=/bin/busybox

[ -x "$busybox" ] || die "no static busybox at $busybox (package busybox-static)"
gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || die "no $gen (CONFIG_BLK_DEV_INITRD kernel build)"

list=$output.list
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /usr/share /usr/share/tcgroup /dev /proc \
		/sys /tmp /run /root /etc /lib /lib/modules /mnt /kselftest; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /bin/busybox $busybox 0755 0 0"
	"$busybox" --list | while read -r applet; do
		[ "$applet" = busybox ] && continue
		# Not `timeout`: the kselftest runner would call it with GNU options
		# busybox lacks; the host bounds the whole guest instead.
		[ "$applet" = timeout ] && continue
		echo "slink /bin/$applet /bin/busybox 0777 0 0"
	done
	# Where the kernel runs modprobe (CONFIG_MODPROBE_PATH) to load
	# `fs-tcgroup` on mount, and where kmod tools live.
	for applet in modprobe depmod insmod rmmod lsmod modinfo; do
		echo "slink /sbin/$applet /bin/busybox 0777 0 0"
	done
	echo "file /init $here/guest/init.sh 0755 0 0"
	echo "file /sbin/tcgroup-agent $here/guest/tcgroup-agent.sh 0755 0 0"
	echo "file /usr/share/tcgroup/demo.sh $here/guest/demo.sh 0644 0 0"
	echo "file /usr/share/tcgroup/common.sh $here/guest/common.sh 0644 0 0"
	echo "file /lib/modules/tcgroup.ko $module 0644 0 0"
	if [ -n "$tool" ]; then
		echo "file /usr/bin/tcgroup $tool 0755 0 0"
		echo "slink /usr/sbin/tcgroup-agent /usr/bin/tcgroup 0777 0 0"
	fi
	if [ -n "$modules" ]; then
		rel=$(basename "$modules")
		echo "dir /lib/modules/$rel 0755 0 0"
		(cd "$modules" && find . -mindepth 1 | sort) | while read -r f; do
			f=${f#./}
			if [ -d "$modules/$f" ]; then
				echo "dir /lib/modules/$rel/$f 0755 0 0"
			else
				echo "file /lib/modules/$rel/$f $modules/$f 0644 0 0"
			fi
		done
	fi
	if [ -n "$root" ]; then
		(cd "$root" && find etc usr -mindepth 1 2>/dev/null | sort) | while read -r f; do
			if [ -d "$root/$f" ]; then
				echo "dir /$f 0755 0 0"
			else
				echo "file /$f $root/$f 0644 0 0"
			fi
		done
	fi
	printf 'file /etc/passwd %s 0644 0 0\n' "$here/guest/passwd"
	printf 'file /etc/group %s 0644 0 0\n' "$here/guest/group"
	(cd "$ksft" && find . -mindepth 1 | sort) | while read -r f; do
		f=${f#./}
		if [ -d "$ksft/$f" ]; then
			echo "dir /kselftest/$f 0755 0 0"
		else
			echo "file /kselftest/$f $ksft/$f $(stat -c %a "$ksft/$f") 0 0"
		fi
	done
} >"$list"

"$gen" "$list" | gzip -1 >"$output.tmp"
mv "$output.tmp" "$output"
info "initramfs: $output ($(du -h "$output" | cut -f1))"
