#!/bin/sh
# CI for the Debian packages, as root on Debian 12: build them (make deb,
# lintian included), install them, use them from /usr the way downstream
# projects do, then remove them again, so that the machine's packages are
# as they were.
#
#   ci/deb.sh [BUILDDIR]
#
# BUILDDIR is a configured build directory of this source tree; without one
# a temporary one is configured. The consumers are the packages' autopkgtest,
# packaging/debian/tests/consumers: C, C++, CMake, Meson, static linking,
# Python's import park and Lua's require "park", each proving that it
# loaded the packaged files. Output is TAP: the whole run is one test, its
# steps comments.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
packages="libpark1 libpark-dev python3-libpark lua-park"
report() {
	tap "$1" "Debian packages: built, linted, installed, used from /usr, removed" || :
	tap_end || :
}
trap 'rc=$?; report $rc; exit $rc' EXIT
die() {
	echo "# deb: $*"
	exit 1
}
step() {
	echo "# deb: $*"
}

[ "$(id -u)" = 0 ] || die "run me as root: I install and remove packages"
dpkg-checkbuilddeps "$top/packaging/debian/control" ||
	die "install the build dependencies named above"
for tool in lintian cmake meson cc c++; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (apt-get install lintian cmake meson build-essential)"
done
for p in $packages; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$'; then
		die "$p is installed already; I remove what I install, so remove it first"
	fi
done
# A libpark under /usr/local comes first for pkg-config, ld.so, python and
# lua: the consumers would not be testing the packages.
# (Files only: make uninstall leaves empty directories, as automake does.)
shadow=$(find /usr/local \( -name '*libpark*' -o -name 'park.so' -o -path '*/park/*' \) \
	! -type d 2>/dev/null || true)
[ -z "$shadow" ] || die "remove the libpark under /usr/local first: $shadow"

if [ $# -ge 1 ]; then
	build=$(cd "$1" && pwd)
else
	build=$(mktemp -d)
	step "configure in $build"
	(cd "$build" && "$top/configure" -q)
fi
step "make deb"
make -C "$build" deb >"$build/deb.log" 2>&1 ||
	{ tail -n 40 "$build/deb.log" | sed 's/^/# /'; die "make deb failed"; }

step "install $packages"
debs=
for p in $packages; do
	debs="$debs $(ls "$build"/deb/"$p"_*.deb)"
done
# Exactly what apt is about to install (the packages and any dependency
# they pull in) is purged on the way out, however this script ends; other
# packages are left alone, even ones installed meanwhile.
apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends "$@"
}
plan=$(apt_get -s install $debs)
upgrades=$(echo "$plan" | awk '$1 == "Inst" && $3 ~ /^\[/ { print $2 }')
[ -z "$upgrades" ] || die "installing would upgrade $upgrades; I could not undo that"
new=$(echo "$plan" | awk '$1 == "Inst" { printf "%s ", $2 }')
cleanup() {
	rc=$?
	step "remove $new"
	apt_get purge $new >"$build/deb/apt-purge.log" 2>&1 ||
		{ sed 's/^/# /' "$build/deb/apt-purge.log"; echo "# deb: could not purge"; rc=1; }
	for p in $new; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$'; then
			echo "# deb: $p is still installed"
			rc=1
		fi
	done
	report $rc
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
apt_get install $debs >"$build/deb/apt.log" 2>&1 ||
	{ cat "$build/deb/apt.log"; die "apt-get install failed"; }

step "the consumers (packaging/debian/tests/consumers)"
rc=0
(cd "$top" && sh packaging/debian/tests/consumers) >"$build/deb/consumers.log" 2>&1 || rc=$?
sed 's/^/# /' "$build/deb/consumers.log"
[ $rc = 0 ] || die "the consumers failed"
