#!/bin/sh
# libpark.so exports exactly the symbols libpark.sym names, all under the
# version node, and nothing else (TAP).
so=libpark/${objdir:-.libs}/libpark.so
sym="$srcdir/libpark/libpark.sym"
echo "1..3"
want=$(sed -n 's/^[[:space:]]*\(park_[a-z_]*\);.*/\1/p' "$sym" | sort)
got=$(nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" { print $3 }' | sed 's/@.*//' | sort)
if [ "$want" = "$got" ]; then
	echo "ok 1 - exported functions are exactly the version script's"
else
	echo "not ok 1 - exported functions are exactly the version script's"
	echo "# want:" $want
	echo "# got:" $got
fi
node=$(sed -n 's/^\(LIBPARK_[0-9_.]*\) {.*/\1/p' "$sym" | tail -n 1)
unversioned=$(nm -D --defined-only --with-symbol-versions "$so" 2>/dev/null | awk '$2 == "T" && $3 !~ /@@?LIBPARK_/ { print $3 }')
if [ -n "$node" ] && [ -z "$unversioned" ]; then
	echo "ok 2 - every export carries a LIBPARK_ version ($node is newest)"
else
	echo "not ok 2 - every export carries a LIBPARK_ version"
	echo "# unversioned: $unversioned"
fi
others=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | grep -v '^park_' || true)
if [ -z "$others" ]; then
	echo "ok 3 - nothing outside the park_ prefix is exported"
else
	echo "not ok 3 - nothing outside the park_ prefix is exported"
	echo "$others" | sed 's/^/# /'
fi
