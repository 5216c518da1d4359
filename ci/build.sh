#!/bin/sh
# Installs the Debian packages the build needs (and the matrix's too, with
# `matrix`), then configures and builds the default build, _build/ (both
# bindings asked for: a missing piece is an error, not a silent skip).
#
#   ci/build.sh [matrix]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

pkgs=$ci_packages
what="the Debian packages are installed"
if [ "${1:-}" = matrix ]; then
	pkgs="$pkgs $ci_matrix_packages"
	what="the Debian packages, the matrix's too, are installed"
fi
log=$(mktemp)
ci_install $pkgs 2>"$log"
tap $? "$what" "$log" || { rm -f "$log"; tap_end; exit; }
rm -f "$log"
mkdir -p "$build"
log=$build/build.log
{ [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh); } >"$log" 2>&1 &&
	(cd "$build" && { [ -f Makefile ] ||
		"$top/configure" -q --enable-python --enable-lua; } &&
		make -s -j"$jobs") >>"$log" 2>&1
tap $? "configure --enable-python --enable-lua and make in $build" "$log"
tap_end
