#!/bin/sh
# The Lua module as luarocks users build it, against a libpark installed
# from the release tarball into a temporary prefix (found with pkg-config).
# Prints TAP; exits non-zero on any failure.
#
#   ci/rocks.sh [BUILDDIR]
#
# BUILDDIR (default _build) is a configured build of this tree: make dist
# runs there and makes the tarball and libpark-VERSION-1.rockspec.
#  - luarocks make from a clean checkout, for Lua 5.1 and then for 5.4,
#    into one tree: two modules, each loading in its own Lua
#  - luarocks build of the release rockspec, which fetches the tarball
#    through its file:// URL, into a fresh tree, without swig
# Needs luarocks, swig, lua5.1, lua5.4 and their -dev packages.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
build=$(cd "${1:-$top/_build}" && pwd) || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# require_park LUA TREE_CPATH LOG: the module loads and a park works.
require_park() {
	LUA_CPATH="$2" "$1" -e '
local park = require "park"
local p = park.Parker()
p:unparker():unpark()
assert(p:park() == "token")
print(_VERSION .. ": park " .. park.version)' >"$3" 2>&1
}

log=$work/dist.log
rm -f "$build"/libpark-*.tar.gz "$build"/libpark-*-1.rockspec
make -C "$build" dist >"$log" 2>&1
tap $? "make dist in $build" "$log" || { tap_end; exit; }
tarball=$(ls "$build"/libpark-*.tar.gz)
rockspec=$(ls "$build"/libpark-*-1.rockspec)
version=$(basename "$tarball" .tar.gz)
version=${version#libpark-}

log=$work/lib.log
mkdir "$work/tar" "$work/lib-build"
tar -xzf "$tarball" -C "$work/tar" &&
(cd "$work/lib-build" && "$work/tar/libpark-$version/configure" -q \
	--prefix="$work/prefix" --disable-lua --disable-python &&
	make -j2 install) >"$log" 2>&1
tap $? "libpark $version from the tarball into a temporary prefix" "$log" || { tap_end; exit; }
PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
LD_LIBRARY_PATH=$work/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH

# --- luarocks make, Lua 5.1 then 5.4, from one checkout ---------------------
mkdir "$work/checkout"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$work/checkout"
else
	tar -xzf "$tarball" -C "$work/checkout" --strip-components=1
fi
tree=$work/tree
for v in 5.1 5.4; do
	log=$work/make-$v.log
	(cd "$work/checkout" && luarocks --lua-version="$v" make --tree="$tree" \
		libpark-scm-1.rockspec) >"$log" 2>&1
	tap $? "luarocks --lua-version=$v make (the checkout)" "$log"
done
m51=$tree/lib/lua/5.1/park.so
m54=$tree/lib/lua/5.4/park.so
log=$work/two.log
ls -l "$m51" "$m54" >"$log" 2>&1
[ -f "$m51" ] && [ -f "$m54" ] && ! cmp -s "$m51" "$m54"
tap $? "two builds in a row give two different modules (5.1 and 5.4)" "$log"
for v in 5.1 5.4; do
	log=$work/require-$v.log
	require_park "lua$v" "$tree/lib/lua/$v/?.so" "$log"
	tap $? "lua$v: require \"park\" from the tree of luarocks make" "$log"
done

# --- the release rockspec, from the tarball through its file:// URL --------
log=$work/url.log
grep -q "url = \"file://$tarball\"" "$rockspec" >"$log" 2>&1 || cp "$rockspec" "$log"
tap $? "$(basename "$rockspec")'s source is the tarball's file:// URL" "$log"
log=$work/build-release.log
mkdir "$work/elsewhere"
(cd "$work/elsewhere" && SWIG=false luarocks --lua-version=5.4 build \
	--tree="$work/tree-release" "$rockspec") >"$log" 2>&1
tap $? "luarocks build $(basename "$rockspec") into a fresh tree (no swig)" "$log"
log=$work/require-release.log
require_park lua5.4 "$work/tree-release/lib/lua/5.4/?.so" "$log" &&
	grep -q "park $version" "$log"
tap $? "lua5.4: require \"park\" from the release rock is $version" "$log"
tap_end
