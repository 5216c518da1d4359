#!/bin/sh
# packaging/debian/gen-symbols: the symbols file it writes from libpark.sym
# names every exported symbol at its node's version, dpkg-gensymbols finds
# it exact for the built libpark.so, and a version script it cannot map is
# an error with a reason (TAP).
gen="$srcdir/packaging/debian/gen-symbols"
sym="$srcdir/libpark/libpark.sym"
so=$(ls libpark/${objdir:-.libs}/libpark.so.*.*.* 2>/dev/null | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
	fail=1
}

# 1: one line per symbol, each with the version of its node.
sh "$gen" "$sym" libpark.so.1 libpark1 libpark-dev >"$work/symbols"
want=$(awk '/^LIBPARK_[0-9.]* *{/ { v = substr($1, 9) ".0"; node = $1 }
	/^[ \t]*park_[a-z_]*;/ { sub(/;.*/, ""); print $1 "@" node " " v }' "$sym")
got=$(sed -n 's/^ \(park_[a-z_]*@\)/\1/p' "$work/symbols")
if [ -n "$want" ] && [ "$want" = "$got" ] &&
	head -n 1 "$work/symbols" | grep -qx 'libpark.so.1 libpark1 #MINVER#'; then
	ok "every symbol of libpark.sym, at its node's version"
else
	not_ok "every symbol of libpark.sym, at its node's version" \
		"want: $(echo $want)" "got: $(echo $got)"
fi

# 2: dpkg-gensymbols at its strictest agrees with the library.
if ! command -v dpkg-gensymbols >/dev/null 2>&1; then
	n=$((n + 1))
	echo "ok $n # SKIP dpkg-gensymbols is not installed"
elif out=$(cd "$work" && dpkg-gensymbols -c4 -plibpark1 -v1.1.0-1 \
		-Isymbols -O/dev/null -e"$OLDPWD/$so" 2>&1); then
	ok "dpkg-gensymbols -c4 finds it exact for $so"
else
	not_ok "dpkg-gensymbols -c4 finds it exact for $so" "$out"
fi

# bad NAME REASON: a version script gen-symbols must refuse, saying REASON.
bad() {
	if out=$(sh "$gen" "$work/bad.sym" libpark.so.1 libpark1 libpark-dev 2>&1); then
		not_ok "$1 is refused" "exit status 0, output: $out"
	elif echo "$out" | grep -q "$2" && ! echo "$out" | grep -q MINVER; then
		ok "$1 is refused: $(echo "$out" | sed "s|$work/||")"
	else
		not_ok "$1 is refused with \"$2\"" "$out"
	fi
}
printf 'park_x;\nLIBPARK_1.0 { global: park_y; local: *; };\n' >"$work/bad.sym"
bad "a symbol outside a node" '"park_x" is outside a version node'
printf 'LIBPARK_1.0 { global: park_*; local: *; };\n' >"$work/bad.sym"
bad "a pattern among the global symbols" 'pattern park_\* in node LIBPARK_1.0'
printf 'LIBPARK_1 { global: park_y; };\n' >"$work/bad.sym"
bad "a node not named LIBPARK_X.Y" 'node LIBPARK_1 is not named LIBPARK_X.Y'
printf 'LIBPARK_1.0 { global: park_y;\n' >"$work/bad.sym"
bad "a node not closed" 'node LIBPARK_1.0 is not closed'
printf 'LIBPARK_1.0 { global: park_y };\n' >"$work/bad.sym"
bad "a symbol without its semicolon" '"park_y" in node LIBPARK_1.0 is not followed by ";"'
printf '/* LIBPARK_1.0 { global: park_y; };\n' >"$work/bad.sym"
bad "a comment not closed" 'a comment is not closed'
printf 'LIBPARK_1.0 { local: *; };\n' >"$work/bad.sym"
bad "a script without a global symbol" 'no global symbol'
rm -f "$work/bad.sym"
bad "a script that does not exist" 'cannot read'

echo "1..$n"
exit $fail
