#!/bin/sh
# Every man page renders with groff -ww and no warning, and every exported
# function has a page (TAP).
man="$srcdir/docs/man"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/man3"
cp "$man"/*.3 "$work/man3/"
n=0
fail=0
for page in "$man"/*.3; do
	n=$((n + 1))
	name=$(basename "$page")
	if out=$(cd "$work" && groff -ww -man -Tutf8 -z "man3/$name" 2>&1) && [ -z "$out" ]; then
		echo "ok $n - $name renders without warnings"
	else
		echo "not ok $n - $name renders without warnings"
		echo "$out" | sed 's/^/# /'
		fail=1
	fi
done
for fn in $(sed -n 's/^[[:space:]]*\(park_[a-z_]*\);.*/\1/p' "$srcdir/libpark/libpark.sym"); do
	n=$((n + 1))
	if [ -f "$man/$fn.3" ]; then
		echo "ok $n - $fn has a man page"
	else
		echo "not ok $n - $fn has a man page"
		fail=1
	fi
done
echo "1..$n"
exit $fail
