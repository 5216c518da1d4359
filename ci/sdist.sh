#!/bin/sh
# The Python source releases as pip users get them. Prints TAP; exits
# non-zero on any failure.
#
#   ci/sdist.sh [BUILDDIR]
#
# BUILDDIR (default _build) is a configured build of this tree, where make
# dist runs. Two sdists, each built into a wheel and installed into a fresh
# venv with swig removed from PATH (both ship SWIG's output):
#  - the one setuptools makes from a clean checkout (what `python -m build
#    --sdist` publishes), made where swig is
#  - make dist's tarball
# Each wheel must have the licence file in its dist-info and no RUNPATH in
# its extension; each install's importlib.metadata must give the version of
# configure.ac and the SPDX licence; the Python tests then run from outside
# the tree. Last, `pip install -e` of a checkout, then `import park`.
# Needs python3-venv, python3-pip, python3-setuptools, python3-wheel and
# python3-dev (pip runs without the package index: --no-build-isolation);
# PYTHON (default /usr/bin/python3) is the interpreter.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
build=$(cd "${1:-$top/_build}" && pwd) || exit 2
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(sed -n 's/^AC_INIT(\[libpark\], *\[\([0-9.]*\)\].*/\1/p' "$top/configure.ac")

# PATH without swig: every other program of PATH, linked into one directory.
mkdir "$work/bin"
IFS=:
for d in $PATH; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		b=${f##*/}
		case $b in swig*) continue ;; esac
		[ -e "$work/bin/$b" ] || [ ! -x "$f" ] || ln -s "$f" "$work/bin/$b"
	done
done
unset IFS
noswig=$work/bin

# A clean checkout: the files git has (with uncommitted edits), nothing made.
checkout() { # checkout DIR
	mkdir -p "$1"
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$1"
}

# install_and_test LABEL SDIST: wheel, checks, venv, install, tests.
install_and_test() {
	label=$1
	sdist=$2
	log=$work/$label-wheel.log
	mkdir -p "$work/$label-wheel"
	(cd "$work" && PATH=$noswig "$python" -m pip wheel --no-build-isolation \
		--no-index --no-deps -w "$work/$label-wheel" "$sdist") >"$log" 2>&1
	tap $? "$label: pip wheel without swig on PATH" "$log" || return
	wheel=$(ls "$work/$label-wheel"/libpark-*.whl)
	mkdir "$work/$label-unzipped"
	"$python" -m zipfile -e "$wheel" "$work/$label-unzipped"
	log=$work/$label-licence.log
	cmp "$top/COPYING" "$work/$label-unzipped/libpark-$version.dist-info/COPYING" >"$log" 2>&1
	tap $? "$label: the wheel's dist-info has the licence file" "$log"
	log=$work/$label-runpath.log
	readelf -d "$work/$label-unzipped"/park/_core*.so >"$log" 2>&1 &&
		! grep -E 'R(UN)?PATH' "$log" >/dev/null
	tap $? "$label: the wheel's extension has no RUNPATH" "$log"

	venv=$work/$label-venv
	log=$work/$label-venv.log
	# The system's site-packages for setuptools and wheel, as python/ci.sh
	# does; the check below proves park comes from the venv.
	"$python" -m venv --system-site-packages "$venv" >"$log" 2>&1 &&
		(cd "$work" && PATH=$noswig "$venv/bin/pip" install --no-index \
			--no-deps "$wheel") >>"$log" 2>&1
	tap $? "$label: the wheel installs into a fresh venv" "$log" || return
	log=$work/$label-metadata.log
	(cd "$work" && "$venv/bin/python" - "$venv" "$version" <<'PY') >"$log" 2>&1
import importlib.metadata as m, os, sys
import park
venv, version = sys.argv[1], sys.argv[2]
assert os.path.realpath(park.__file__).startswith(os.path.realpath(venv)), park.__file__
assert m.version("libpark") == version == park.__version__, (m.version("libpark"), park.__version__)
meta = m.metadata("libpark")
assert meta["License"] == "MIT", meta["License"]
files = [str(f) for f in m.files("libpark")]
assert f"libpark-{version}.dist-info/COPYING" in files, files
print("libpark", version, "from", park.__file__)
PY
	tap $? "$label: importlib.metadata: version $version, License MIT, COPYING" "$log"

	# The tests from a directory outside the tree, so that park is the
	# installed one.
	tests=$work/$label-tests
	mkdir -p "$tests/python" "$tests/docs"
	cp -R "$top/python/tests" "$top/python/bench" "$tests/python/"
	cp -R "$top/docs/examples" "$tests/docs/"
	for t in "$tests"/python/tests/test_*.py; do
		log=$tests/$(basename "$t").log
		(cd "$tests" && PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$t") >"$log" 2>&1
		rc=$?
		if [ $rc = 0 ] && grep -q '^not ok' "$log"; then rc=1; fi
		tap $rc "$label: $(basename "$t") ($(grep -c '^ok' "$log") passed)" "$log"
	done
}

# --- the setuptools sdist -----------------------------------------------------
log=$work/sdist.log
checkout "$work/checkout"
mkdir "$work/sdist"
(cd "$work/checkout" && "$python" -c '
import sys
from setuptools import build_meta
print(build_meta.build_sdist(sys.argv[1]))' "$work/sdist") >"$log" 2>&1
tap $? "setuptools builds an sdist from a clean checkout" "$log"
sdist=$(ls "$work"/sdist/libpark-*.tar.gz 2>/dev/null)
log=$work/sdist-files.log
(tar -tzf "$sdist" >"$log" 2>&1 &&
	for f in PKG-INFO configure.ac python/park/core_wrap.c python/park/core.py; do
		grep -qx "libpark-$version/$f" "$log" || { echo "no $f" >>"$log"; exit 1; }
	done)
tap $? "the sdist has PKG-INFO, configure.ac and SWIG's output" "$log"
[ -n "$sdist" ] && install_and_test setuptools-sdist "$sdist"

# --- make dist's tarball --------------------------------------------------------
log=$work/dist.log
rm -f "$build"/libpark-*.tar.gz
make -C "$build" dist >"$log" 2>&1
tap $? "make dist in $build" "$log"
tarball=$build/libpark-$version.tar.gz
log=$work/dist-files.log
tar -tzf "$tarball" >"$log" 2>&1 && grep -qx "libpark-$version/PKG-INFO" "$log"
tap $? "$(basename "$tarball") has PKG-INFO" "$log"
cp "$tarball" "$work/"
install_and_test make-dist "$work/$(basename "$tarball")"

# --- pip install -e ----------------------------------------------------------------
log=$work/editable.log
checkout "$work/editable"
"$python" -m venv --system-site-packages "$work/editable-venv" >"$log" 2>&1 &&
	(cd "$work/editable" && "$work/editable-venv/bin/pip" install \
		--no-build-isolation --no-index --no-deps -e .) >>"$log" 2>&1
tap $? "pip install -e . (a checkout, with swig)" "$log"
log=$work/editable-import.log
(cd "$work" && "$work/editable-venv/bin/python" - "$work/editable" <<'PY') >"$log" 2>&1
import os, sys
import park
assert os.path.realpath(park.__file__).startswith(os.path.realpath(sys.argv[1])), park.__file__
p = park.Parker()
p.unparker().unpark()
assert p.park() & park.Wake.TOKEN
print("park", park.__version__, "from", park.__file__)
PY
tap $? "import park from the editable install" "$log"
tap_end
