#!/bin/sh
# Every file the README and the docs point to, and every file a make rule
# reads from the source tree, is in the source tree this test runs from.
# From a git checkout that is trivially true; under make distcheck the
# source tree is the unpacked tarball, so this is the test that the tarball
# is complete (TAP, one line per file).
top=${srcdir:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Paths as the docs write them: a known top-level directory, then a path
# to a file with an extension (programs the build makes have none).
grep -ohE '(^|[^A-Za-z0-9_./*-])(libpark|bindings|python|tests|docs|cmake|packaging)/[A-Za-z0-9_./-]*\.[A-Za-z0-9]+' \
	"$top/README" "$top/NEWS" "$top"/docs/*.md "$top"/docs/man/*.3 |
	sed -E 's/^[^A-Za-z0-9_./-]//' >"$work/named"
# Files the make rules read from the source tree.
grep -ohE '\$\((top_)?srcdir\)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' \
	"$top/Makefile.am" "$top"/*/include.am "$top"/*/*/include.am 2>/dev/null |
	sed -E 's/^\$\((top_)?srcdir\)\///' >>"$work/named"

n=0
fail=0
for f in $(sort -u "$work/named"); do
	case $f in
	# Made by configure or make in the build tree, not shipped.
	libpark/libpark.h | libpark/libpark.la | python/stage* | */.libs*) continue ;;
	esac
	n=$((n + 1))
	if [ -e "$top/$f" ]; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f is named but missing from the source tree"
		fail=1
	fi
done
echo "1..$n"
exit $fail
