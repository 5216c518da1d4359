#!/bin/sh
# make installcheck: use the installed libpark the way downstream projects do,
# with nothing from the build tree. Arguments come from the Makefile.
set -eu
: "${CC:?}" "${CXX:?}" "${prefix:?}" "${libdir:?}" "${pkgconfigdir:?}" "${srcdir:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PKG_CONFIG_PATH="$pkgconfigdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
# A staged install (make install DESTDIR=...): pkg-config prefixes its paths.
if [ -n "${DESTDIR:-}" ]; then
	PKG_CONFIG_SYSROOT_DIR=$DESTDIR
	export PKG_CONFIG_SYSROOT_DIR
fi
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
down="$srcdir/tests/downstream"

echo "installcheck: C via pkg-config"
$CC -o "$work/use" "$down/use.c" $(pkg-config --cflags --libs libpark)
"$work/use"

echo "installcheck: the README's C example"
awk '/^A complete C example/ { on = 1 } /^Python$/ { on = 0 }
     on && /^    / { sub(/^    /, ""); print }' "$srcdir/README" |
	sed -n '/^#include <libpark.h>/,$p' > "$work/readme.c"
$CC -Wall -Werror -o "$work/readme" "$work/readme.c" \
	$(pkg-config --cflags --libs libpark libevent) -pthread
"$work/readme" | tee "$work/readme.out"
grep -qx "1001 jobs run" "$work/readme.out"

# consumer NAME: copy a downstream project and use.c into the work area.
consumer() {
	cp -R "$down/$1" "$work/$1"
	cp "$down/use.c" "$work/$1/"
}

echo "installcheck: CMake's find_package(libpark 1.0)"
consumer cmake
cmake -S "$work/cmake" -B "$work/cmake/build" \
	-DCMAKE_PREFIX_PATH="${DESTDIR:-}$prefix" >"$work/cmake.log" 2>&1 ||
	{ cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake/build" >>"$work/cmake.log" 2>&1 ||
	{ cat "$work/cmake.log"; exit 1; }
"$work/cmake/build/use"

echo "installcheck: Meson's dependency('libpark')"
consumer meson
(cd "$work/meson" && meson setup build >"$work/meson.log" 2>&1 &&
	meson compile -C build >>"$work/meson.log" 2>&1) ||
	{ cat "$work/meson.log"; exit 1; }
"$work/meson/build/use"

echo "installcheck: C++ including libpark.h"
$CXX -o "$work/use-cxx" "$down/use.cc" $(pkg-config --cflags --libs libpark)
"$work/use-cxx"

if [ -f "$libdir/libpark.a" ]; then
	echo "installcheck: static libpark.a"
	$CC -o "$work/use-static" "$down/use.c" $(pkg-config --cflags libpark) \
		-Wl,-Bstatic -lpark -Wl,-Bdynamic \
		$(pkg-config --static --libs libpark | sed 's/-lpark//')
	if readelf -d "$work/use-static" | grep -q 'libpark\.so'; then
		echo "installcheck: static build still needs libpark.so" >&2
		exit 1
	fi
	"$work/use-static"
fi

# readme_snippet FIRST LAST: the indented lines between two README headings.
readme_snippet() {
	awk -v first="$1" -v last="$2" '$0 == first { on = 1 } $0 == last { on = 0 }
	     on && /^    / { sub(/^    /, ""); print }' "$srcdir/README"
}

if [ -n "${pyexecdir:-}" ]; then
	# The interpreter alone when it searches the prefix (make install
	# into /usr/local with Debian's python3), else PYTHONPATH.
	if "$PYTHON" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' \
		"$pyexecdir"; then
		echo "installcheck: $PYTHON imports from $pyexecdir by itself"
		run_python() { (cd "$work" && "$PYTHON" "$@"); }
	else
		run_python() { (cd "$work" && PYTHONPATH="$pyexecdir" "$PYTHON" "$@"); }
	fi
	echo "installcheck: the park package in $pyexecdir"
	for f in __init__.py __init__.pyi py.typed core.py _core.so; do
		test -f "$pyexecdir/park/$f"
	done
	if ls "$pyexecdir/park/" | grep -q '\.la$'; then
		echo "installcheck: a libtool .la file in the Python package" >&2
		exit 1
	fi
	echo "installcheck: the README's Python example"
	readme_snippet Python Lua > "$work/readme.py"
	run_python "$work/readme.py"
	echo "installcheck: the Python examples"
	examples=$(cd "$srcdir/docs/examples" && pwd)
	for example in workers.py echo.py; do
		run_python "$examples/$example" >/dev/null
	done
	echo "installcheck: import park from $pyexecdir"
	run_python -c '
import park, sys
p = park.Parker()
p.unparker().unpark()
assert p.park() == park.Wake.TOKEN
assert park.__file__.startswith(sys.argv[1]), park.__file__
print("installcheck: python ok", park.__version__)
' "$pyexecdir"
fi

if [ -n "${luacmoddir:-}" ]; then
	# Only the installed module: no build tree on the C path.
	LUA_CPATH="$luacmoddir/?.so"
	export LUA_CPATH
	echo "installcheck: the README's Lua example"
	readme_snippet Lua "Threading rules" > "$work/readme.lua"
	"$LUA" "$work/readme.lua"
	for example in handoff linecount; do
		echo "installcheck: docs/examples/$example.lua"
		"$LUA" "$srcdir/docs/examples/$example.lua"
	done
	echo "installcheck: require \"park\" from $luacmoddir"
	"$LUA" -e '
local park = require "park"
local p = park.Parker()
p:unparker():unpark()
assert(p:park() == "token")
print("installcheck: lua ok " .. park.version)
'
fi
