#!/bin/sh
# luarocks make, as a Lua user builds the module: against a libpark
# installed in a temporary prefix and found with pkg-config, once from the
# checkout (swig makes the wrapper) and once from the make dist tarball
# (which ships it); then require "park" and the busted specs against each
# rock.
#
#   ci/rock.sh BUILDDIR [LUA]
#
# BUILDDIR is a configured build of this tree (make dist runs there); LUA
# is the interpreter (default lua5.4) whose version luarocks builds for.
# Output is TAP: the whole run is one test, its steps comments.
set -eu
: "${1:?usage: rock.sh BUILDDIR [LUA]}"
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
build=$(cd "$1" && pwd)
lua=${2:-lua5.4}
srcdir=$top
version=$("$lua" -e 'print((_VERSION:gsub("Lua ", "")))')
busted=${BUSTED:-$(command -v busted || true)}
for need in luarocks swig "$busted"; do
	if [ -z "$need" ] || ! command -v "$need" >/dev/null; then
		echo "Bail out! rock: needs luarocks, swig and busted (apt-get install luarocks swig lua-busted)"
		exit 2
	fi
done
work=$(mktemp -d)
trap 'rc=$?; rm -rf "$work"
	tap $rc "luarocks make (Lua $version): the checkout and the tarball" || :
	tap_end || :; exit $rc' EXIT

say() { echo "# rock: $*"; }

say "make dist in $build"
make -C "$build" dist >"$work/dist.log" 2>&1 || { cat "$work/dist.log"; exit 1; }
tarball=$(ls -t "$build"/libpark-*.tar.gz | head -n 1)

say "libpark from $(basename "$tarball") into a temporary prefix"
mkdir "$work/tar"
tar -xzf "$tarball" -C "$work/tar"
tree_src=$(echo "$work"/tar/libpark-*)
mkdir "$work/lib-build"
(cd "$work/lib-build" &&
	"$tree_src/configure" -q --prefix="$work/prefix" --disable-lua \
		--disable-python &&
	make -j2 install) >"$work/lib.log" 2>&1 || { tail -n 30 "$work/lib.log"; exit 1; }
PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
LD_LIBRARY_PATH=$work/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH

# The checkout as git has it, plus uncommitted edits; no generated files.
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	mkdir "$work/checkout"
	(cd "$srcdir" && git ls-files -z | tar --null -T - -cf -) |
		tar -xf - -C "$work/checkout"
	sources="checkout tarball"
else
	sources=tarball
fi
ln -s "$tree_src" "$work/tarball"

for source in $sources; do
	dir=$work/$source
	tree=$work/tree-$source
	if [ "$source" = checkout ] && [ -e "$dir/bindings/park_lua_wrap.c" ]; then
		echo "rock: the checkout has a generated wrapper" >&2
		exit 1
	fi
	if [ "$source" = tarball ] && [ ! -e "$dir/bindings/park_lua_wrap.c" ]; then
		echo "rock: the tarball lacks bindings/park_lua_wrap.c" >&2
		exit 1
	fi
	say "luarocks make from the $source (Lua $version)"
	# The tarball's wrapper must do: no swig there.
	swig=swig
	[ "$source" = tarball ] && swig=false
	(cd "$dir" && SWIG=$swig luarocks --lua-version="$version" make \
		--tree="$tree" libpark-scm-1.rockspec) >"$work/rock-$source.log" 2>&1 ||
		{ cat "$work/rock-$source.log"; exit 1; }
	# Only the rock: no build tree, no system copy of the module.
	LUA_CPATH="$tree/lib/lua/$version/?.so"
	LUA_PATH="$srcdir/tests/lua/?.lua;;"
	export LUA_CPATH LUA_PATH
	"$lua" -e 'local park = require "park"
		local p = park.Parker()
		p:unparker():unpark()
		assert(p:park() == "token")
		print("# rock: require \"park\" " .. park.version .. " ok")'
	say "the Lua specs against the $source rock"
	# busted needs its own C modules too; the rock's comes first.
	LUA_CPATH="$LUA_CPATH;;" "$lua" "$busted" --output=TAP "$srcdir"/tests/lua/*_spec.lua >"$work/specs.log" 2>&1 ||
		{ grep -v '^ok' "$work/specs.log"; exit 1; }
	say "$(grep -c '^ok' "$work/specs.log") specs passed"
done
