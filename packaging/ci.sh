#!/bin/sh
# CI for the Debian packages, as root on Debian 12: build them (make deb,
# lintian included), install them, use them from /usr the way downstream
# projects do, then remove them again, so that the machine's packages are
# as they were.
#
#   packaging/ci.sh [BUILDDIR]
#
# BUILDDIR is a configured build directory of this source tree; without one
# a temporary one is configured. The consumers: tests/downstream/run.sh (C
# with pkg-config, the README's C example, CMake's find_package, Meson's
# dependency(), C++, static linking), then, with nothing in the environment
# but PATH, `import park` and the Python tests with each supported python3,
# and `require "park"` and the Lua tests with each Lua the package serves.
# Each one proves it loaded the packaged files, not others.
set -eu
start=$(date +%s)
top=$(cd "$(dirname "$0")/.." && pwd)
packages="libpark1 libpark-dev python3-libpark lua-park"
die() {
	echo "packaging/ci.sh: $*" >&2
	exit 1
}
step() {
	echo "== ci: $*"
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
shadow=$(find /usr/local -name '*libpark*' -o -name 'park.so' -o -name 'park' 2>/dev/null || true)
[ -z "$shadow" ] || die "remove the libpark under /usr/local first: $shadow"

if [ $# -ge 1 ]; then
	build=$(cd "$1" && pwd)
else
	build=$(mktemp -d)
	step "configure in $build"
	(cd "$build" && "$top/configure" -q)
fi
step "make deb"
make -C "$build" deb

# Whatever apt installs now (the packages and any dependency they pull in)
# is purged again on the way out, however this script ends.
installed() {
	dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' |
		awk '$1 ~ /^.i/ { print $2 }' | sort
}
before=$(mktemp)
installed >"$before"
cleanup() {
	rc=$?
	step "remove the packages"
	new=$(installed | comm -13 "$before" -)
	if [ -n "$new" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $new >/dev/null ||
			{ echo "packaging/ci.sh: could not purge: $new" >&2; rc=1; }
	fi
	still=$(installed | comm -13 "$before" -)
	[ -z "$still" ] || { echo "packaging/ci.sh: still installed: $still" >&2; rc=1; }
	rm -f "$before"
	echo "packaging/ci.sh: $([ $rc -eq 0 ] && echo passed || echo FAILED)" \
		"in $(($(date +%s) - start)) s"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "install $packages"
debs=
for p in $packages; do
	debs="$debs $(ls "$build"/deb/"$p"_*.deb)"
done
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	$debs >"$build/deb/apt.log" 2>&1 ||
	{ cat "$build/deb/apt.log"; die "apt-get install failed"; }

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$arch
lib=$(readlink -f "$libdir/libpark.so.1")
[ -f "$lib" ] && dpkg -S "$lib" | grep -q '^libpark1:' ||
	die "libpark.so.1 does not come from libpark1"
work=$(mktemp -d)
# Nothing of the caller's environment but PATH (no PYTHONPATH, LUA_CPATH,
# LD_LIBRARY_PATH ...), and the working directory outside the source tree.
clean_env() {
	(cd "$work" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" "$@")
}

step "C, C++, CMake, Meson and static consumers (tests/downstream/run.sh)"
clean_env CC=cc CXX=c++ prefix=/usr libdir="$libdir" \
	pkgconfigdir="$libdir/pkgconfig" srcdir="$top" \
	sh "$top/tests/downstream/run.sh"
[ "$(clean_env pkg-config --variable=libdir libpark)" = "$libdir" ] ||
	die "pkg-config finds a libpark.pc outside $libdir"

# tap_run NAME COMMAND...: runs one TAP test file; any failure stops CI.
tap_run() {
	name=$1
	shift
	if ! clean_env "$@" >"$work/tap" 2>&1 || grep -q '^not ok' "$work/tap"; then
		cat "$work/tap"
		die "$name failed"
	fi
	echo "ok $(grep -c '^ok' "$work/tap") tests - $name"
}

# Python: the default python3, and every other python3 Debian supports.
pythons=python3
for py in $(py3versions -s); do
	[ "$(readlink -f "/usr/bin/$py")" = "$(readlink -f /usr/bin/python3)" ] ||
		pythons="$pythons $py"
done
cat >"$work/check.py" <<'EOF'
import park, sys
maps = open("/proc/self/maps").read()
assert park.__file__.startswith("/usr/lib/python3/dist-packages/park/"), park.__file__
assert sys.argv[1] in maps, "libpark.so.1 is not " + sys.argv[1]
p = park.Parker()
p.unparker().unpark()
assert p.park() == park.Wake.TOKEN
print("ok", park.__file__, park.__version__)
EOF
for py in $pythons; do
	step "$py: import park from the package, then the Python tests"
	clean_env "/usr/bin/$py" check.py "$lib"
	for t in "$top"/python/tests/test_*.py; do
		tap_run "$py $(basename "$t")" "/usr/bin/$py" "$t"
	done
done

# Lua: each version the package has a module for; LuaJIT loads 5.1's.
cat >"$work/check.lua" <<'EOF'
local libdir, version, lib = ...
local park = require "park"
local maps = io.open("/proc/self/maps"):read("*a")
for _, path in ipairs { libdir .. "/lua/" .. version .. "/park.so", lib } do
	assert(maps:find(path, 1, true), path .. " is not the one loaded")
end
local p = park.Parker()
p:unparker():unpark()
assert(p:park() == park.TOKEN)
print("ok " .. park.version)
EOF
for v in $(dpkg -L lua-park | sed -n 's|.*/lua/\([0-9.]*\)/park\.so$|\1|p'); do
	luas=lua$v
	[ "$v" != 5.1 ] || ! command -v luajit >/dev/null || luas="$luas luajit"
	for lua in $luas; do
		step "$lua: require \"park\" from the package, then the Lua tests"
		clean_env "$lua" check.lua "$libdir" "$v" "$lib"
		for t in "$top"/tests/lua/test_*.lua; do
			tap_run "$lua $(basename "$t")" \
				LUA_PATH="$top/tests/lua/?.lua;;" "$lua" "$t"
		done
	done
done
rm -rf "$work"
