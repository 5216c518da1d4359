#!/bin/sh
# A relocated install: libpark installed into one prefix, the prefix copied
# to another directory and the first deleted; then, from the new place
# only, a C consumer built and run with pkg-config, with CMake against the
# shared library and against the static one, `import park` and
# `require "park"`. Prints TAP; exits non-zero on any failure.
#
#   ci/relocate.sh [SRCDIR]
#
# SRCDIR (default: this script's tree; ./autogen.sh runs there if it has
# no configure, and it must not be configured in place) is configured and
# built in a temporary directory. Needs cmake, pkg-config, python3-dev, swig
# and liblua5.4-dev.
set -u
top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1) || {
	echo "relocate: ./autogen.sh failed in $top" >&2
	exit 2
}
python=${PYTHON:-/usr/bin/python3}
lua=${LUA:-lua5.4}
old=$work/old/prefix
new=$work/new/prefix

log=$work/build.log
mkdir "$work/build"
(cd "$work/build" && "$top/configure" -q --prefix="$old" --enable-python \
	--enable-lua --with-lua=5.4 PYTHON="$python" LUA="$(command -v "$lua")" &&
	make -j2 && make install) >"$log" 2>&1
tap $? "configure, make and make install into $old" "$log" || { tap_end; exit; }

mkdir -p "$work/new" && cp -a "$old" "$new" && rm -rf "$work/old"
tap $? "the prefix copied to $new, $old deleted"

# A consumer that proves it runs: an unpark before the park is kept.
cat >"$work/consumer.c" <<'C'
#include <libpark.h>
#include <stdio.h>
int main(void)
{
	park_driver *d = park_driver_new();
	park_parker *p = d ? park_parker_new(d) : NULL;
	park_unparker *u = p ? park_unparker_new(p) : NULL;
	if (!u)
		return 1;
	park_unparker_unpark(u);
	int r = park_parker_park(p);
	if (r < 0 || PARK_REASON(r) != PARK_TOKEN)
		return 1;
	printf("libpark %s\n", park_version_string());
	park_unparker_unref(u);
	park_parker_unref(p);
	park_driver_unref(d);
	return 0;
}
C

# --- pkg-config ---------------------------------------------------------
export PKG_CONFIG_PATH="$new/lib/pkgconfig"
log=$work/pc.log
flags=$(pkg-config --cflags --libs libpark 2>"$log")
case $flags in
*"$work/old"*) echo "# pkg-config names the old prefix: $flags" >"$log"; false ;;
*"$work/new/"*) true ;;
*) echo "# pkg-config does not name the new prefix: $flags" >"$log"; false ;;
esac
tap $? "pkg-config --cflags --libs libpark names the new prefix" "$log"
log=$work/pc-build.log
# shellcheck disable=SC2086
(cc -o "$work/consumer-pc" "$work/consumer.c" $flags &&
	LD_LIBRARY_PATH="$new/lib" "$work/consumer-pc") >"$log" 2>&1
tap $? "a C consumer built with pkg-config runs" "$log"

# --- CMake, shared and static -----------------------------------------------
mkdir "$work/cmake-src"
cp "$work/consumer.c" "$work/cmake-src/"
cat >"$work/cmake-src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(consumer C)
find_package(libpark 1.1 REQUIRED)
add_executable(consumer_shared consumer.c)
target_link_libraries(consumer_shared PRIVATE libpark::libpark)
add_executable(consumer_static consumer.c)
target_link_libraries(consumer_static PRIVATE libpark::libpark_static)
CMAKE
log=$work/cmake.log
(cmake -S "$work/cmake-src" -B "$work/cmake-build" \
	-DCMAKE_PREFIX_PATH="$new" && cmake --build "$work/cmake-build") >"$log" 2>&1
tap $? "CMake finds libpark in the new prefix and builds both targets" "$log"
log=$work/cmake-shared.log
("$work/cmake-build/consumer_shared" &&
	readelf -d "$work/cmake-build/consumer_shared" | grep -q 'libpark\.so') >"$log" 2>&1
tap $? "the CMake consumer of libpark::libpark runs, linked to libpark.so" "$log"
log=$work/cmake-static.log
("$work/cmake-build/consumer_static" &&
	! readelf -d "$work/cmake-build/consumer_static" | grep -q 'libpark\.so') >"$log" 2>&1
tap $? "the CMake consumer of libpark::libpark_static runs without libpark.so" "$log"

# --- the modules, with no library path set --------------------------------
unset LD_LIBRARY_PATH
core=$(find "$new" -name '_core*.so' | head -n 1)
log=$work/python.log
(readelf -d "$core" | grep -E 'R(UN)?PATH' | grep -q '\$ORIGIN' &&
	cd "$work" && PYTHONPATH=$(dirname "$(dirname "$core")") "$python" -c '
import park
p = park.Parker()
p.unparker().unpark()
assert p.park() & park.Wake.TOKEN
print("park", park.__version__)') >"$log" 2>&1
tap $? "import park from the new prefix (an \$ORIGIN RUNPATH)" "$log"
log=$work/lua.log
(readelf -d "$new/lib/lua/5.4/park.so" | grep -E 'R(UN)?PATH' | grep -q '\$ORIGIN' &&
	LUA_CPATH="$new/lib/lua/5.4/?.so" "$lua" -e '
local park = require "park"
local p = park.Parker()
p:unparker():unpark()
assert(p:park() == "token")
print("park " .. park.version)') >"$log" 2>&1
tap $? "require \"park\" from the new prefix (an \$ORIGIN RUNPATH)" "$log"
log=$work/abs.log
# libtool's .la and Python's bytecode record where they were made; they
# are not used to find anything.
grep -rl "$work/old" "$new" | grep -v -e '\.la$' -e '\.pyc$' >"$log" 2>&1
[ ! -s "$log" ]
tap $? "no installed file names the old prefix (but .la and .pyc)" "$log"

# --- a static-only install: libpark::libpark is the static library -------
log=$work/static.log
mkdir "$work/build-static"
(cd "$work/build-static" && "$top/configure" -q --prefix="$work/static" \
	--disable-shared --disable-python --disable-lua &&
	make -j2 install-libLTLIBRARIES install-nodist_includeHEADERS \
		install-pkgconfigDATA install-nodist_cmakeDATA &&
	cmake -S "$work/cmake-src" -B "$work/cmake-build-static" \
		-DCMAKE_PREFIX_PATH="$work/static" &&
	cmake --build "$work/cmake-build-static" &&
	"$work/cmake-build-static/consumer_shared" &&
	"$work/cmake-build-static/consumer_static") >"$log" 2>&1
tap $? "a static-only install: libpark::libpark and libpark::libpark_static link and run" "$log"
tap_end
