#!/bin/sh
# The release files the README names (the tarball, the release rockspec)
# carry the version of configure.ac's AC_INIT: a version bump that leaves
# the README behind fails here (TAP, one line per name).
top=${srcdir:?}
version=$(sed -n 's/^AC_INIT(\[libpark\], *\[\([0-9.]*\)\].*/\1/p' "$top/configure.ac")
names=$(grep -ohE 'libpark-[0-9]+\.[0-9]+\.[0-9]+(\.tar\.gz|-[0-9]+\.rockspec)' "$top/README" | sort -u)
if [ -z "$version" ] || [ -z "$names" ]; then
	echo "1..1"
	echo "not ok 1 - the README names a release tarball and configure.ac a version (${version:-none})"
	exit 1
fi
n=0
fail=0
for name in $names; do
	n=$((n + 1))
	case $name in
	"libpark-$version.tar.gz" | "libpark-$version"-[0-9]*.rockspec)
		echo "ok $n - README's $name is version $version" ;;
	*)
		echo "not ok $n - README's $name is not version $version"
		fail=1 ;;
	esac
done
echo "1..$n"
exit $fail
