#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack the Debian linux-source package of one kernel line into the
# cache, without touching the machine's apt sources.
#
#   fetch-kernel-source.sh KVER DESTDIR
#
# KVER is 7.3 (trixie-backports, fetched with `apt-get download` through a side
# sources list kept in the cache) or 6.12 (bookworm-security, installed with
# apt-get as usual). DESTDIR receives linux-source-KVER/ and a VERSION file
# holding the Debian package version, which keys every later cache.

set -euo pipefail

kver=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

case "$kver" in
7.3)
	suite=trixie-backports
	;;
6.12)
	suite=bookworm-security
	;;
*)
	die "unsupported KVER=$kver (7.3 or 6.12)"
	;;
esac
pkg=linux-source-$kver

# A side apt configuration: its own sources list, lists and archive cache, so
# that the host's apt state is never changed by the side suite.
side=$dest/apt
mkdir -p "$side/lists/partial" "$side/archives/partial" "$side/parts" "$side/prefs"
case "$suite" in
trixie-backports)
	cat >"$side/sources.list" <<EOS
deb http://deb.debian.org/debian trixie-backports main
EOS
	;;
bookworm-security)
	cat >"$side/sources.list" <<EOS
deb http://deb.debian.org/debian-security bookworm-security main
EOS
	;;
esac
aptopts=(
	-o "Dir::Etc::SourceList=$side/sources.list"
	-o "Dir::Etc::SourceParts=$side/parts"
	-o "Dir::Etc::PreferencesParts=$side/prefs"
	-o "Dir::State::Lists=$side/lists"
	-o "Dir::Cache=$side"
	-o "Dir::Cache::Archives=$side/archives"
	-o "APT::Architecture=amd64"
	-o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root"
)

# Without apt (TCGROUP_SETUP=0 on another distribution), the harness kernel
# has no source: the source already unpacked is used, else a kernel of one's
# own replaces it.
if ! command -v apt-get >/dev/null || ! command -v apt-cache >/dev/null; then
	if [ -f "$dest/VERSION" ] && [ -f "$dest/linux-source-$kver/Makefile" ]; then
		info "no apt-get; reusing $pkg $(cat "$dest/VERSION") in $dest"
		exit 0
	fi
	die "the harness kernel is built from Debian's $pkg ($suite), fetched with apt-get," \
		"which this machine lacks: give KDIR=/path/to/your/linux/build (a Rust-enabled" \
		"kernel build; README.md, \"Testing your own kernel\"), or unpack $pkg into" \
		"$dest/linux-source-$kver with its version in $dest/VERSION"
fi

step "apt: reading $suite index for $pkg"
if ! apt-get "${aptopts[@]}" -qq update; then
	# Offline: the source already unpacked is used as it is.
	if [ -f "$dest/VERSION" ] && [ -f "$dest/linux-source-$kver/Makefile" ]; then
		info "cannot read the $suite index (no network access?); reusing $pkg $(cat "$dest/VERSION")"
		exit 0
	fi
	die "cannot read the $suite index from deb.debian.org: no network access? $pkg is needed once (then cached)"
fi
version=$(apt-cache "${aptopts[@]}" policy "$pkg" | awk '/Candidate:/ { print $2 }')
[ -n "$version" ] && [ "$version" != "(none)" ] || die "$pkg not found in $suite"

if [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ] &&
	[ -f "$dest/linux-source-$kver/Makefile" ]; then
	info "reusing $pkg $version in $dest"
	exit 0
fi

step "apt: downloading $pkg $version"
rm -rf "$dest/deb" "$dest/linux-source-$kver" "$dest/VERSION"
mkdir -p "$dest/deb"
(cd "$dest/deb" && apt-get "${aptopts[@]}" -q download "$pkg=$version")
deb=$(ls "$dest"/deb/"${pkg}"_*.deb)

step "unpacking $(basename "$deb")"
mkdir -p "$dest/deb/x"
dpkg-deb -x "$deb" "$dest/deb/x"
tarball=$(ls "$dest"/deb/x/usr/src/linux-source-"$kver".tar.*)
tar -C "$dest" -xf "$tarball"
[ -f "$dest/linux-source-$kver/Makefile" ] || die "unexpected layout in $tarball"
rm -rf "$dest/deb"
echo "$version" >"$dest/VERSION"
info "$pkg $version unpacked in $dest/linux-source-$kver"
