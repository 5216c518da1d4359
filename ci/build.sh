#!/bin/sh
# Installs the Debian packages the build needs (and the matrix's too, with
# `matrix`), then configures and builds the default build, _build/ (both
# bindings asked for: a missing piece is an error, not a silent skip).
#
#   ci/build.sh [matrix]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

want=$ci_packages
[ "${1:-}" = matrix ] && want="$want $ci_matrix_packages"
ci_install $want 2>"$top/.ci-packages.log"
tap $? "the Debian packages ${1:+(and the matrix's) }are installed" \
	"$top/.ci-packages.log" || { rm -f "$top/.ci-packages.log"; tap_end; exit; }
rm -f "$top/.ci-packages.log"
mkdir -p "$build"
log=$build/build.log
{ [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh); } >"$log" 2>&1 &&
	(cd "$build" && { [ -f Makefile ] ||
		"$top/configure" -q --enable-python --enable-lua; } &&
		make -s -j"$jobs") >>"$log" 2>&1
tap $? "configure --enable-python --enable-lua and make in $build" "$log"
tap_end
