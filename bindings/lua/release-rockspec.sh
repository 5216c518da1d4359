#!/bin/sh
# The release rockspec: libpark-scm-1.rockspec with the version and with the
# release tarball as its source, written to standard output.
#
#   bindings/lua/release-rockspec.sh SCM_ROCKSPEC VERSION URL
#
# URL is where the tarball libpark-VERSION.tar.gz is fetched from (make
# dist passes ROCKSPEC_SOURCE_URL, by default a file:// URL of the build
# directory that made it).
set -eu
scm=${1:?usage: release-rockspec.sh SCM_ROCKSPEC VERSION URL}
version=${2:?usage: release-rockspec.sh SCM_ROCKSPEC VERSION URL}
url=${3:?usage: release-rockspec.sh SCM_ROCKSPEC VERSION URL}
# The source block of the scm rockspec goes; the tarball's takes its place.
awk -v version="$version" -v url="$url" '
/^-- luarocks make:/ {
	print "-- luarocks build: the Lua module \"park\" from the libpark " version
	print "-- release tarball, against an installed libpark found with pkg-config"
	print "-- (set PKG_CONFIG_PATH for a libpark outside the default paths)."
	skip_header = 1
	next
}
skip_header && /^--/ { next }
{ skip_header = 0 }
/^version = / { print "version = \"" version "-1\""; next }
/^source = \{/ {
	print "source = {"
	print "   url = \"" url "\","
	print "   dir = \"libpark-" version "\","
	print "}"
	in_source = 1
	next
}
in_source { if ($0 ~ /^\}/) in_source = 0; next }
{ print }
' "$scm"
