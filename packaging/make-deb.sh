#!/bin/sh
# make deb: builds the Debian packages the way a distribution does, from
# make dist's tarball (as the .orig tarball) with the tarball's own
# packaging/debian as debian/, then runs lintian on the result.
#
#   make-deb.sh TARBALL VERSION OUTDIR
#
# OUTDIR (made afresh) receives the .debs, the source package, the
# .changes, build.log and lintian.txt. DPKG_BUILDPACKAGE_FLAGS (default
# "-us -uc -Jauto": source and binaries, unsigned, parallel; "-b" for the
# binaries only) goes to dpkg-buildpackage. lintian errors and warnings fail the target;
# packaging/debian/*lintian-overrides says why each remaining one is fine.
set -eu
tarball=${1:?usage: make-deb.sh TARBALL VERSION OUTDIR}
version=${2:?usage: make-deb.sh TARBALL VERSION OUTDIR}
out=${3:?usage: make-deb.sh TARBALL VERSION OUTDIR}
flags=${DPKG_BUILDPACKAGE_FLAGS:--us -uc -Jauto}

die() {
	echo "make deb: $*" >&2
	exit 1
}
for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (apt-get install dpkg-dev debhelper)"
done

rm -rf "$out"
work="$out/work"
mkdir -p "$work"
cp "$tarball" "$work/libpark_$version.orig.tar.gz"
tar -xzf "$tarball" -C "$work"
src="$work/libpark-$version"
[ -d "$src/packaging/debian" ] || die "$tarball has no packaging/debian"
cp -R "$src/packaging/debian" "$src/debian"

# The Debian version is the upstream version and a revision: a release
# without its changelog entry would build packages with the old number.
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
case $deb_version in
"$version"-*) ;;
*) die "packaging/debian/changelog is at $deb_version but configure.ac at $version: add an entry (dch -v $version-1)" ;;
esac

echo "make deb: dpkg-buildpackage $flags (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage $flags) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "dpkg-buildpackage failed; the build tree is kept in $src"
fi
find "$work" -maxdepth 1 -type f -exec mv {} "$out/" \;
rm -rf "$work"
ls "$out"

changes=$(ls "$out"/*.changes)
if ! command -v lintian >/dev/null 2>&1; then
	echo "make deb: lintian is not installed: the packages are not checked"
	exit 0
fi
# Everything lintian has to say goes to lintian.txt; only errors and
# warnings fail.
rc=0
lintian --display-info --display-experimental --pedantic \
	--fail-on error,warning "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
cat "$out/lintian.txt"
[ $rc -eq 0 ] || die "lintian reports errors or warnings ($out/lintian.txt)"
echo "make deb: lintian has no error or warning; packages in $out"
