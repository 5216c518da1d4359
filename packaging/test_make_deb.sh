#!/bin/sh
# packaging/make-deb.sh refuses, before building anything, a tarball that
# cannot make the packages it claims: one without packaging/debian, and
# one whose debian/changelog names another upstream version (TAP).
make_deb=$(cd "$srcdir" && pwd)/packaging/make-deb.sh
echo "1..2"
if ! command -v dpkg-parsechangelog >/dev/null 2>&1 ||
	! command -v dpkg-buildpackage >/dev/null 2>&1 ||
	! command -v dh >/dev/null 2>&1; then
	echo "ok 1 # SKIP dpkg-dev and debhelper are not installed"
	echo "ok 2 # SKIP dpkg-dev and debhelper are not installed"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# refused N NAME REASON: make-deb.sh on $work/in.tar.gz fails, saying REASON,
# and builds nothing.
refused() {
	if out=$(cd "$work" && sh "$make_deb" in.tar.gz 9.9.9 out 2>&1); then
		echo "not ok $1 - $2 is refused"
		echo "$out" | sed 's/^/# /'
		fail=1
	elif echo "$out" | grep -q "$3" && ! [ -e "$work/out/build.log" ]; then
		echo "ok $1 - $2 is refused: $(echo "$out" | tail -n 1)"
	else
		echo "not ok $1 - $2 is refused with \"$3\", building nothing"
		echo "$out" | sed 's/^/# /'
		fail=1
	fi
}

mkdir -p "$work/libpark-9.9.9/packaging"
tar -czf "$work/in.tar.gz" -C "$work" libpark-9.9.9
refused 1 "a tarball without packaging/debian" 'in.tar.gz has no packaging/debian'

cp -R "$srcdir/packaging/debian" "$work/libpark-9.9.9/packaging/debian"
tar -czf "$work/in.tar.gz" -C "$work" libpark-9.9.9
refused 2 "a changelog at another version" \
	'packaging/debian/changelog is at .* but configure.ac at 9.9.9'
exit $fail
